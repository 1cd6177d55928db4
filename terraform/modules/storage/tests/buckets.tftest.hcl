mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_resource "aws_kms_key" {
    defaults = { arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555" }
  }
}

variables {
  name_prefix = "ml-platform-test"
}

run "every_bucket_is_encrypted_versioned_private_logged_and_expiring" {
  command = apply

  assert {
    condition     = aws_kms_key.this.enable_key_rotation
    error_message = "the customer-managed key must rotate"
  }

  assert {
    condition = alltrue([for k in ["data", "offline-store", "models"] :
      [for r in aws_s3_bucket_server_side_encryption_configuration.this[k].rule : r.apply_server_side_encryption_by_default[0].sse_algorithm] == ["aws:kms"]
    ])
    error_message = "data buckets use SSE-KMS"
  }

  assert {
    condition     = keys(aws_s3_bucket_logging.this) == ["data", "models", "offline-store"]
    error_message = "every data bucket logs to the logs bucket"
  }

  assert {
    condition = alltrue([for k in ["data", "logs", "models", "offline-store"] :
      aws_s3_bucket_versioning.this[k].versioning_configuration[0].status == "Enabled"
      && aws_s3_bucket_public_access_block.this[k].block_public_acls
      && aws_s3_bucket_public_access_block.this[k].restrict_public_buckets
      && length(aws_s3_bucket_lifecycle_configuration.this[k].rule) > 0
      && contains(keys(aws_s3_bucket_policy.this), k)
    ])
    error_message = "every bucket: versioning, public access block, lifecycle, TLS-only policy"
  }

  assert {
    condition     = alltrue([for k, d in data.aws_iam_policy_document.tls_only : one(d.statement[0].condition).variable == "aws:SecureTransport" && d.statement[0].effect == "Deny"])
    error_message = "bucket policies deny insecure transport"
  }
}

run "minimal_example_plans" {
  command = plan

  module {
    source = "./examples/minimal"
  }
}
