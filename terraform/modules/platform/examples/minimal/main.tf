# The smallest use of the module: one environment from the module's fixture specs (the feature
# store module's fixture groups and one fixture model), with pinned images and an existing
# MLflow server. Planned by the module's terraform test.
module "platform" {
  source                   = "../.."
  environment              = "staging"
  feature_specs_dir        = "${path.module}/../../../feature_store/tests/fixtures"
  model_specs_dir          = "${path.module}/../../tests/fixtures/models"
  pipeline_definitions_dir = "${path.module}/../../../../../pipelines"
  training_image_uri       = "123456789012.dkr.ecr.us-east-1.amazonaws.com/ml-platform-staging-training@sha256:${"a"}"
  inference_image_uri      = "123456789012.dkr.ecr.us-east-1.amazonaws.com/ml-platform-staging-inference@sha256:${"b"}"
  training_instance_type   = "ml.m5.large"
  inference_instance_type  = "ml.m5.large"
  kafka_bootstrap_servers  = "b-1.example:9092"
  mlflow_tracking_uri      = "arn:aws:sagemaker:us-east-1:123456789012:mlflow-tracking-server/ml-platform-staging"
}

output "pipeline_arns" {
  value = module.platform.pipeline_arns
}

output "feature_group_names" {
  value = module.platform.feature_group_names
}
