mock_provider "aws" {}

variables {
  name_prefix = "ml-platform-test"
  kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  keep_images = 15
}

run "immutable_scanned_encrypted_and_pruned" {
  command = plan

  assert {
    condition     = toset([for r in aws_ecr_repository.this : r.name]) == toset(["ml-platform-test-training", "ml-platform-test-inference"])
    error_message = "one repository per image"
  }

  assert {
    condition = alltrue([for r in aws_ecr_repository.this :
      r.image_tag_mutability == "IMMUTABLE" && r.image_scanning_configuration[0].scan_on_push
      && r.encryption_configuration[0].encryption_type == "KMS"
    ])
    error_message = "IMMUTABLE tags, scan on push, KMS"
  }

  assert {
    condition     = jsondecode(aws_ecr_lifecycle_policy.this["training"].policy).rules[0].selection.countNumber == 15
    error_message = "keeps the last keep_images images"
  }
}

run "bad_repository_name_is_refused" {
  command = plan

  variables {
    repositories = ["Training"]
  }

  expect_failures = [var.repositories]
}

run "minimal_example_plans" {
  command = plan

  module {
    source = "./examples/minimal"
  }

  assert {
    condition     = toset(keys(module.ecr.repositories)) == toset(["training", "inference"])
    error_message = "the example gets both repositories from the defaults"
  }
}
