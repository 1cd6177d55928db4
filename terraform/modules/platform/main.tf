locals {
  name_prefix = "${var.project_name}-${var.environment}"
  hyper       = var.training_hyperparameters
  mlflow_arn  = startswith(var.mlflow_tracking_uri, "arn:") ? var.mlflow_tracking_uri : ""
  common_parameters = {
    Environment         = var.environment
    SageMakerRoleArn    = module.iam.sagemaker_role_arn
    MlflowTrackingUri   = var.mlflow_tracking_uri
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
