# The smallest use of the module: one model's training pipeline, no schedule. Planned by the
# module's terraform test.
module "pipelines" {
  source             = "../.."
  name_prefix        = "example-staging"
  definitions_dir    = "${path.module}/../../../../../pipelines"
  sagemaker_role_arn = "arn:aws:iam::123456789012:role/example-staging-sagemaker-execution"
  scheduler_role_arn = "arn:aws:iam::123456789012:role/example-staging-scheduler"
  kms_key_arn        = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  pipelines = {
    example-training = { kind = "training", parameters = { Model = "example" } }
  }
}
