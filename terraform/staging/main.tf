# The platform for one environment. Modules come by relative path; to pin a release instead:
#   source = "git::https://github.com/<org>/ml-platform.git//terraform/modules/platform?ref=v0.1.0"
module "platform" {
  source = "../modules/platform"

  project_name             = var.project_name
  environment              = var.environment
  feature_specs_dir        = "${path.module}/../../feature_groups"
  pipeline_definitions_dir = "${path.module}/../../pipelines"

  training_image_uri            = var.training_image_uri
  inference_image_uri           = var.inference_image_uri
  training_instance_type        = var.training_instance_type
  inference_instance_type       = var.inference_instance_type
  inference_instance_count      = var.inference_instance_count
  training_schedule_expression  = var.training_schedule_expression
  inference_schedule_expression = var.inference_schedule_expression
  training_hyperparameters      = var.training_hyperparameters
  kafka_output_topic            = var.kafka_output_topic
  kafka_bootstrap_servers       = var.kafka_bootstrap_servers
  mlflow_tracking_uri           = var.mlflow_tracking_uri
  create_mlflow_tracking_server = var.create_mlflow_tracking_server
  job_subnet_ids                = var.job_subnet_ids
  job_security_group_ids        = var.job_security_group_ids
  alert_emails                  = var.alert_emails
}

# generate_params_json.py reads these settings for manual runs: they must name what Terraform creates.
check "manual_run_settings_match" {
  assert {
    condition     = var.sagemaker_role_arn == module.platform.sagemaker_role_arn
    error_message = "sagemaker_role_arn in terraform.tfvars differs from the role Terraform creates (${module.platform.sagemaker_role_arn})."
  }
  assert {
    condition     = var.feature_group_prefix == "${var.project_name}-${var.environment}-"
    error_message = "feature_group_prefix in terraform.tfvars must be ${var.project_name}-${var.environment}-."
  }
}
