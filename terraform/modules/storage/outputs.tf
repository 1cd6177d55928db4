output "kms_key_arn" {
  description = "ARN of the platform's customer-managed KMS key."
  value       = aws_kms_key.this.arn
}

output "bucket_names" {
  description = "Bucket names by purpose: data, offline-store, models, logs (known at plan time)."
  value       = { for k in keys(local.all_buckets) : k => "${var.name_prefix}-${k}-${local.account_id}" }
  depends_on  = [aws_s3_bucket_policy.this, aws_s3_bucket_server_side_encryption_configuration.this]
}

output "bucket_arns" {
  description = "Bucket ARNs by purpose: data, offline-store, models, logs."
  value       = { for k, b in local.all_buckets : k => b.arn }
}

output "kms_key_alias" {
  description = "Alias of the platform key, alias/<name_prefix> (known at plan time)."
  value       = aws_kms_alias.this.name
}
