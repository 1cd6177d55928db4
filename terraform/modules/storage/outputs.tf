output "kms_key_arn" {
  description = "ARN of the platform's customer-managed KMS key."
  value       = aws_kms_key.this.arn
}

output "bucket_names" {
  description = "Bucket names by purpose: data, offline-store, models, logs."
  value       = { for k, b in local.all_buckets : k => b.id }
}

output "bucket_arns" {
  description = "Bucket ARNs by purpose: data, offline-store, models, logs."
  value       = { for k, b in local.all_buckets : k => b.arn }
}
