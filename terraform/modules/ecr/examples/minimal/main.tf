# The smallest use of the module: its required inputs only. Planned by the module's terraform test.
module "ecr" {
  source      = "../.."
  name_prefix = "example-staging"
  kms_key_arn = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
}

output "repositories" {
  value = module.ecr.repositories
}
