# The platform for one environment. Modules come by relative path; to pin a release instead:
#   source = "git::https://github.com/<org>/ml-platform.git//terraform/modules/platform?ref=v0.1.0"
module "platform" {
  source = "../modules/platform"

  project_name             = var.project_name
  environment              = var.environment
  feature_specs_dir        = "${path.module}/../../feature_groups"
  model_specs_dir          = "${path.module}/../../models"
  pipeline_definitions_dir = "${path.module}/../../pipelines"
  models                   = var.models

  training_image_uri            = var.training_image_uri
  inference_image_uri           = var.inference_image_uri
  training_instance_type        = var.training_instance_type
  inference_instance_type       = var.inference_instance_type
  inference_instance_count      = var.inference_instance_count
  training_hyperparameters      = var.training_hyperparameters
  experiment_name               = var.experiment_name
  feature_store_backend         = var.feature_store_backend
  kafka_bootstrap_servers       = var.kafka_bootstrap_servers
  kafka_create_topic            = var.kafka_create_topic
  batch_size                    = var.batch_size
  model_alias                   = var.model_alias
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
  assert {
    condition     = var.data_uri == "s3://${module.platform.bucket_names["data"]}"
    error_message = "data_uri in terraform.tfvars must be s3://${module.platform.bucket_names["data"]}."
  }
  assert {
    condition     = var.model_output_s3_uri == "s3://${module.platform.bucket_names["models"]}/training"
    error_message = "model_output_s3_uri in terraform.tfvars must be s3://${module.platform.bucket_names["models"]}/training."
  }
  assert {
    condition     = var.report_s3_uri == "s3://${module.platform.bucket_names["models"]}/inference-reports"
    error_message = "report_s3_uri in terraform.tfvars must be s3://${module.platform.bucket_names["models"]}/inference-reports."
  }
}
