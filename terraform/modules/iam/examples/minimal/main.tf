# The smallest use of the module: its required inputs only. Planned by the module's terraform test.
module "iam" {
  source                   = "../.."
  name_prefix              = "example-staging"
  bucket_arns              = ["arn:aws:s3:::example-staging-data-123456789012", "arn:aws:s3:::example-staging-offline-store-123456789012"]
  offline_store_bucket_arn = "arn:aws:s3:::example-staging-offline-store-123456789012"
  kms_key_arn              = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  repository_arns          = ["arn:aws:ecr:us-east-1:123456789012:repository/example-staging-training"]
}

output "sagemaker_role_arn" {
  value = module.iam.sagemaker_role_arn
}
