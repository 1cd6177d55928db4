data "aws_caller_identity" "current" {}
data "aws_region" "current" {}
data "aws_partition" "current" {}

locals {
  name_prefix = "${var.project_name}-${var.environment}"
  hyper       = var.training_hyperparameters
  mlflow_name = "${local.name_prefix}-mlflow"
  # Known at plan time, so IAM can be scoped to the server before it exists.
  created_mlflow_arn = "arn:${data.aws_partition.current.partition}:sagemaker:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:mlflow-tracking-server/${local.mlflow_name}"
  mlflow_uri         = var.create_mlflow_tracking_server ? local.created_mlflow_arn : var.mlflow_tracking_uri
  mlflow_arn         = startswith(local.mlflow_uri, "arn:") ? local.mlflow_uri : ""
  vpc_config         = length(var.job_subnet_ids) > 0 ? { subnet_ids = var.job_subnet_ids, security_group_ids = var.job_security_group_ids } : null
  common_parameters = {
    Environment         = var.environment
    SageMakerRoleArn    = module.iam.sagemaker_role_arn
    MlflowTrackingUri   = local.mlflow_uri
    FeatureStoreBackend = "sagemaker"
    FeatureGroupPrefix  = "${local.name_prefix}-"
    ModelName           = lookup(local.hyper, "model_name", "churn-classifier")
  }
}

module "storage" {
  source      = "../storage"
  name_prefix = local.name_prefix
}

module "ecr" {
  source      = "../ecr"
  name_prefix = local.name_prefix
  kms_key_arn = module.storage.kms_key_arn
  keep_images = var.ecr_keep_images
}

module "iam" {
  source                     = "../iam"
  name_prefix                = local.name_prefix
  bucket_arns                = values(module.storage.bucket_arns)
  kms_key_arn                = module.storage.kms_key_arn
  repository_arns            = values(module.ecr.repository_arns)
  mlflow_tracking_server_arn = local.mlflow_arn
  kafka_secret_arn           = var.kafka_secret_arn
  vpc_config                 = local.vpc_config
}

resource "aws_sagemaker_mlflow_tracking_server" "this" {
  count                = var.create_mlflow_tracking_server ? 1 : 0
  tracking_server_name = local.mlflow_name
  role_arn             = module.iam.sagemaker_role_arn
  artifact_store_uri   = "s3://${module.storage.bucket_names["models"]}/mlflow"
  tracking_server_size = var.mlflow_tracking_server_size

  lifecycle {
    precondition {
      condition     = var.mlflow_tracking_uri == ""
      error_message = "Set either mlflow_tracking_uri or create_mlflow_tracking_server, not both."
    }
  }
}

module "feature_store" {
  source               = "../feature_store"
  name_prefix          = local.name_prefix
  specs_dir            = var.feature_specs_dir
  offline_store_s3_uri = "s3://${module.storage.bucket_names["offline-store"]}/feature-store"
  kms_key_arn          = module.storage.kms_key_arn
  role_arn             = module.iam.sagemaker_role_arn
}

module "pipelines" {
  source             = "../pipelines"
  name_prefix        = local.name_prefix
  definitions_dir    = var.pipeline_definitions_dir
  sagemaker_role_arn = module.iam.sagemaker_role_arn
  scheduler_role_arn = module.iam.scheduler_role_arn
  kms_key_arn        = module.storage.kms_key_arn
  alert_emails       = var.alert_emails
  vpc_config         = local.vpc_config
  schedules = {
    training = {
      schedule_expression = var.training_schedule_expression
      parameters = merge(local.common_parameters, {
        TrainingImageUri     = var.training_image_uri
        TrainingInstanceType = var.training_instance_type
        NEstimators          = lookup(local.hyper, "n_estimators", "100")
        MaxDepth             = lookup(local.hyper, "max_depth", "10")
        ExperimentName       = lookup(local.hyper, "experiment_name", "")
        LabelsUri            = "s3://${module.storage.bucket_names["data"]}/labels/churn_labels.parquet"
        ModelOutputS3Uri     = "s3://${module.storage.bucket_names["models"]}/training"
      })
    }
    inference = {
      schedule_expression = var.inference_schedule_expression
      parameters = merge(local.common_parameters, {
        InferenceImageUri      = var.inference_image_uri
        InferenceInstanceType  = var.inference_instance_type
        InferenceInstanceCount = tostring(var.inference_instance_count)
        KafkaBootstrapServers  = var.kafka_bootstrap_servers
        KafkaTopic             = var.kafka_output_topic
        ReportS3Uri            = "s3://${module.storage.bucket_names["models"]}/inference-reports"
      })
    }
  }
}
