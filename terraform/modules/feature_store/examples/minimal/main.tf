# The smallest use of the module: its required inputs only, with the module's own fixture specs.
# Planned by the module's terraform test.
module "feature_store" {
  source               = "../.."
  name_prefix          = "example-staging"
  specs_dir            = "${path.module}/../../tests/fixtures"
  offline_store_s3_uri = "s3://example-staging-offline-store-123456789012/feature-store"
  kms_key_arn          = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  role_arn             = "arn:aws:iam::123456789012:role/example-staging-sagemaker-execution"
}

output "feature_groups" {
  value = module.feature_store.feature_groups
}
