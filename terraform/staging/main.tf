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
  kafka_security_protocol       = var.kafka_security_protocol
  kafka_sasl_mechanism          = var.kafka_sasl_mechanism
  kafka_secret_arn              = var.kafka_secret_arn
  kafka_secret_kms_key_arn      = var.kafka_secret_kms_key_arn
  kafka_cluster_arn             = var.kafka_cluster_arn
  batch_size                    = var.batch_size
  model_alias                   = var.model_alias
  mlflow_tracking_uri           = var.mlflow_tracking_uri
  create_mlflow_tracking_server = var.create_mlflow_tracking_server
  job_subnet_ids                = var.job_subnet_ids
  job_security_group_ids        = var.job_security_group_ids
  create_vpc_endpoints          = var.create_vpc_endpoints
  vpc_id                        = var.vpc_id
  vpc_route_table_ids           = var.vpc_route_table_ids
  alert_emails                  = var.alert_emails
  tags                          = var.tags
}

# The example values terraform.tfvars ships with: nothing is applied while one is left.
locals {
  example_values = { for k, v in {
    sagemaker_role_arn       = var.sagemaker_role_arn
    mlflow_tracking_uri      = var.mlflow_tracking_uri
    data_uri                 = var.data_uri
    model_output_s3_uri      = var.model_output_s3_uri
    report_s3_uri            = var.report_s3_uri
    kafka_bootstrap_servers  = var.kafka_bootstrap_servers
    kafka_cluster_arn        = var.kafka_cluster_arn
    kafka_secret_arn         = var.kafka_secret_arn
    kafka_secret_kms_key_arn = var.kafka_secret_kms_key_arn
    training_image_uri       = var.training_image_uri
    inference_image_uri      = var.inference_image_uri
    job_subnet_ids           = join(",", var.job_subnet_ids)
    job_security_group_ids   = join(",", var.job_security_group_ids)
  } : k => v if can(regex("111111111111|222222222222|REPLACE-ME|0123456789abcdef0", v)) }
  # The ECR repositories are IMMUTABLE and never receive :latest: only a digest pin can run.
  unpinned_images = [for k, v in { inference = var.inference_image_uri, training = var.training_image_uri } : k if !can(regex("@sha256:[0-9a-f]{64}$", v))]
}

# generate_params_json.py reads these settings for manual runs: they must name what Terraform
# creates. Preconditions, so a plan fails (a check block would only warn).
resource "terraform_data" "settings" {
  lifecycle {
    precondition {
      condition     = length(local.example_values) == 0
      error_message = "terraform.tfvars still holds example values in ${join(", ", sort(keys(local.example_values)))}: replace the example account ids 111111111111/222222222222, the example subnet and security group ids and every REPLACE-ME with your own values (docs/deploy.md, \"Values to replace\")."
    }
    precondition {
      condition     = length(local.unpinned_images) == 0
      error_message = "${join(", ", [for i in local.unpinned_images : "${i}_image_uri"])}: not pinned by digest (<repository>@sha256:<digest>): run scripts/build_push_ecr.sh all --environment ${var.environment}, which pushes the images and writes images.auto.tfvars.json (docs/deploy.md)."
    }
    precondition {
      condition     = var.sagemaker_role_arn == module.platform.sagemaker_role_arn
      error_message = "sagemaker_role_arn in terraform.tfvars is ${var.sagemaker_role_arn}, not the role Terraform creates: set it to ${module.platform.sagemaker_role_arn}."
    }
    precondition {
      condition     = var.feature_group_prefix == "${var.project_name}-${var.environment}-"
      error_message = "feature_group_prefix in terraform.tfvars must be ${var.project_name}-${var.environment}-."
    }
    precondition {
      condition     = var.kms_key_id == module.platform.kms_key_alias
      error_message = "kms_key_id in terraform.tfvars must be ${module.platform.kms_key_alias}."
    }
    precondition {
      condition     = var.data_uri == "s3://${module.platform.bucket_names["data"]}"
      error_message = "data_uri in terraform.tfvars must be s3://${module.platform.bucket_names["data"]}."
    }
    precondition {
      condition     = var.model_output_s3_uri == "s3://${module.platform.bucket_names["models"]}/training"
      error_message = "model_output_s3_uri in terraform.tfvars must be s3://${module.platform.bucket_names["models"]}/training."
    }
    precondition {
      condition     = var.report_s3_uri == "s3://${module.platform.bucket_names["models"]}/inference-reports"
      error_message = "report_s3_uri in terraform.tfvars must be s3://${module.platform.bucket_names["models"]}/inference-reports."
    }
  }
}
