data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  # Buckets encrypted with the platform key; the logs bucket is separate (see below).
  data_buckets = {
    data          = "raw data and labels"
    offline-store = "SageMaker Feature Store offline store"
    models        = "model artifacts, MLflow artifacts and inference reports"
  }
}

resource "aws_kms_key" "this" {
  description             = "${var.name_prefix}: data, feature store, ECR, queues and topics"
  enable_key_rotation     = true
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.key.json
  tags                    = var.tags
}

data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_356:in a key policy, Resource "*" means this key only
  #checkov:skip=CKV_AWS_111:the account root administers its own key (AWS's default key policy); IAM policies then scope use
  #checkov:skip=CKV_AWS_109:the account root administers its own key (AWS's default key policy); IAM policies then scope use
  statement {
    sid       = "AccountAdministers"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${data.aws_partition.current.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "ServicesUseTheKey"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com", "sns.amazonaws.com", "sqs.amazonaws.com", "scheduler.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name_prefix}"
  target_key_id = aws_kms_key.this.key_id
}

# -- access logs: S3 server access logging cannot deliver to SSE-KMS buckets, so SSE-S3 here.
resource "aws_s3_bucket" "logs" {
  #checkov:skip=CKV_AWS_145:S3 server access log delivery does not support SSE-KMS target buckets
  #checkov:skip=CKV_AWS_18:this is the access log bucket itself
  #checkov:skip=CKV_AWS_144:cross-region replication is a per-organisation decision, not a platform default
  #checkov:skip=CKV2_AWS_62:no consumer of bucket event notifications
  bucket        = "${var.name_prefix}-logs-${local.account_id}"
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_server_side_encryption_configuration" "logs" {
  bucket = aws_s3_bucket.logs.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket" "this" {
  #checkov:skip=CKV_AWS_144:cross-region replication is a per-organisation decision, not a platform default
  #checkov:skip=CKV2_AWS_62:no consumer of bucket event notifications
  # checkov does not follow for_each connections for every key; tests/buckets.tftest.hcl asserts
  # these settings for each bucket instead:
  #checkov:skip=CKV2_AWS_6:public access block per bucket, asserted in tests/buckets.tftest.hcl
  #checkov:skip=CKV_AWS_18:access logging per bucket, asserted in tests/buckets.tftest.hcl
  #checkov:skip=CKV2_AWS_61:lifecycle per bucket, asserted in tests/buckets.tftest.hcl
  #checkov:skip=CKV_AWS_21:versioning per bucket, asserted in tests/buckets.tftest.hcl
  #checkov:skip=CKV_AWS_145:SSE-KMS per bucket, asserted in tests/buckets.tftest.hcl
  for_each      = local.data_buckets
  bucket        = "${var.name_prefix}-${each.key}-${local.account_id}"
  force_destroy = var.force_destroy
  tags          = merge(var.tags, { Purpose = each.value })
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = aws_s3_bucket.this
  bucket   = each.value.id
  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.this.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_logging" "this" {
  for_each      = aws_s3_bucket.this
  bucket        = each.value.id
  target_bucket = aws_s3_bucket.logs.id
  target_prefix = "s3/${each.key}/"
  depends_on    = [aws_s3_bucket_policy.this]
}

locals {
  all_buckets = merge(aws_s3_bucket.this, { logs = aws_s3_bucket.logs })
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = local.all_buckets
  bucket   = each.value.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each                = local.all_buckets
  bucket                  = each.value.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = local.all_buckets
  bucket   = each.value.id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

data "aws_iam_policy_document" "tls_only" {
  for_each = local.all_buckets
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [each.value.arn, "${each.value.arn}/*"]
    principals {
      type        = "*"
      identifiers = ["*"]
    }
    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

# The logs bucket also lets S3 log delivery write (from this account's buckets only).
data "aws_iam_policy_document" "logs" {
  source_policy_documents = [data.aws_iam_policy_document.tls_only["logs"].json]
  statement {
    sid       = "S3ServerAccessLogDelivery"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.logs.arn}/s3/*"]
    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  for_each   = local.all_buckets
  bucket     = each.value.id
  policy     = each.key == "logs" ? data.aws_iam_policy_document.logs.json : data.aws_iam_policy_document.tls_only[each.key].json
  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = local.all_buckets
  bucket   = each.value.id

  rule {
    id     = "expire-noncurrent-and-abort-uploads"
    status = "Enabled"
    filter {}
    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }
    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  dynamic "rule" {
    for_each = each.key == "logs" ? [1] : []
    content {
      id     = "expire-logs"
      status = "Enabled"
      filter {}
      expiration {
        days = var.log_retention_days
      }
    }
  }
}
