variable "project_name" {
  description = "Project name; with the environment it prefixes every resource name."
  type        = string
  default     = "ml-platform"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.project_name))
    error_message = "project_name must be 2-21 lowercase letters, digits or '-', starting with a letter."
  }
}

variable "environment" {
  description = "Environment name."
  type        = string

  validation {
    condition     = contains(["staging", "prod"], var.environment)
    error_message = "environment must be staging or prod."
  }
}

variable "feature_specs_dir" {
  description = "Folder of the feature group spec files (feature_groups/ of the repository)."
  type        = string
}

variable "pipeline_definitions_dir" {
  description = "Folder of the pipeline definitions (pipelines/ of the repository)."
  type        = string
}

variable "training_image_uri" {
  description = "Training image, pinned by digest by scripts/build_push_ecr.sh."
  type        = string
}

variable "inference_image_uri" {
  description = "Inference image, pinned by digest by scripts/build_push_ecr.sh."
  type        = string
}

variable "training_instance_type" {
  description = "Instance type of the training job."
  type        = string

  validation {
    condition     = can(regex("^ml\\.[a-z0-9]+\\.[a-z0-9]+$", var.training_instance_type))
    error_message = "training_instance_type must be a SageMaker instance type such as ml.m5.large."
  }
}

variable "inference_instance_type" {
  description = "Instance type of the batch inference job."
  type        = string

  validation {
    condition     = can(regex("^ml\\.[a-z0-9]+\\.[a-z0-9]+$", var.inference_instance_type))
    error_message = "inference_instance_type must be a SageMaker instance type such as ml.m5.large."
  }
}

variable "inference_instance_count" {
  description = "Instances of the batch inference job (each scores a disjoint share of the population)."
  type        = number
  default     = 1

  validation {
    condition     = var.inference_instance_count >= 1 && var.inference_instance_count <= 100
    error_message = "inference_instance_count must be between 1 and 100."
  }
}

variable "training_schedule_expression" {
  description = "EventBridge cron of the training pipeline, e.g. cron(0 2 * * ? *)."
  type        = string

  validation {
    condition     = can(regex("^cron\\((\\S+\\s){5}\\S+\\)$", var.training_schedule_expression))
    error_message = "training_schedule_expression must be an EventBridge cron with six fields, e.g. cron(0 2 * * ? *)."
  }
}

variable "inference_schedule_expression" {
  description = "EventBridge cron of the inference pipeline, e.g. cron(0 6 * * ? *)."
  type        = string

  validation {
    condition     = can(regex("^cron\\((\\S+\\s){5}\\S+\\)$", var.inference_schedule_expression))
    error_message = "inference_schedule_expression must be an EventBridge cron with six fields, e.g. cron(0 6 * * ? *)."
  }
}

variable "training_hyperparameters" {
  description = "Hyperparameters of scheduled training runs: n_estimators, max_depth, model_name, experiment_name."
  type        = map(string)

  validation {
    condition     = alltrue([for k in keys(var.training_hyperparameters) : contains(["n_estimators", "max_depth", "model_name", "experiment_name", "estimator", "min_samples_leaf"], k)])
    error_message = "training_hyperparameters keys must be among n_estimators, max_depth, min_samples_leaf, estimator, model_name, experiment_name."
  }
}

variable "kafka_output_topic" {
  description = "Topic the predictions are published to."
  type        = string
}

variable "kafka_bootstrap_servers" {
  description = "Kafka bootstrap servers (host:port,...)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9.-]+:[0-9]+(,[A-Za-z0-9.-]+:[0-9]+)*$", var.kafka_bootstrap_servers))
    error_message = "kafka_bootstrap_servers must be host:port[,host:port...]."
  }
}

variable "mlflow_tracking_uri" {
  description = "An existing MLflow tracking server (SageMaker MLflow ARN or http(s) URL); empty when create_mlflow_tracking_server."
  type        = string
  default     = ""

  validation {
    condition     = var.mlflow_tracking_uri == "" || can(regex("^(https?://|arn:aws[a-z-]*:sagemaker:)", var.mlflow_tracking_uri))
    error_message = "mlflow_tracking_uri must be an http(s) URL or a SageMaker MLflow tracking server ARN."
  }
}

variable "create_mlflow_tracking_server" {
  description = "Create a SageMaker managed MLflow tracking server (artifacts in the models bucket) instead of using mlflow_tracking_uri."
  type        = bool
  default     = false
}

variable "mlflow_tracking_server_size" {
  description = "Size of a created MLflow tracking server."
  type        = string
  default     = "Small"

  validation {
    condition     = contains(["Small", "Medium", "Large"], var.mlflow_tracking_server_size)
    error_message = "mlflow_tracking_server_size must be Small, Medium or Large."
  }
}

variable "job_subnet_ids" {
  description = "Subnets the training and inference jobs run in (empty: no VPC)."
  type        = list(string)
  default     = []
}

variable "job_security_group_ids" {
  description = "Security groups of the jobs when job_subnet_ids is set."
  type        = list(string)
  default     = []
}

variable "ecr_keep_images" {
  description = "Images each ECR repository keeps."
  type        = number
  default     = 30
}

variable "alert_emails" {
  description = "Addresses receiving failed-pipeline alerts."
  type        = list(string)
  default     = []
}

variable "kafka_secret_arn" {
  description = "Secrets Manager secret of the Kafka SASL password; empty when not used."
  type        = string
  default     = ""
}
