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

variable "model_specs_dir" {
  description = "Folder of the model specs (<model>.yaml): one training and one inference pipeline each, scheduled as the spec says."
  type        = string
}

variable "models" {
  description = "Names of the models to deploy (null: every spec in model_specs_dir)."
  type        = list(string)
  default     = null
}

variable "training_hyperparameters" {
  description = "Per model, training settings of this environment's runs over the model spec's (strings), e.g. { churn = { n_estimators = \"200\" } }: the TrainingOverrides parameter."
  type        = map(map(string))
  default     = {}

  validation {
    condition     = alltrue(flatten([for m in values(var.training_hyperparameters) : [for k in keys(m) : can(regex("^[a-z][a-z0-9_]*$", k))]]))
    error_message = "training_hyperparameters keys must be training setting names such as n_estimators or max_depth."
  }
}

variable "experiment_name" {
  description = "MLflow experiment of the training runs (null: ml-platform-<environment>)."
  type        = string
  default     = null
}

variable "feature_store_backend" {
  description = "Feature store backend of the jobs; sagemaker in deployed environments."
  type        = string
  default     = "sagemaker"

  validation {
    condition     = var.feature_store_backend == "sagemaker"
    error_message = "Deployed environments use the sagemaker feature store backend."
  }
}

variable "kafka_create_topic" {
  description = "Whether batch inference creates a missing topic (\"true\" or \"false\"; null: the definition's default, false)."
  type        = string
  default     = null

  validation {
    condition     = var.kafka_create_topic == null || contains(["true", "false"], coalesce(var.kafka_create_topic, "false"))
    error_message = "kafka_create_topic must be \"true\" or \"false\"."
  }
}

variable "batch_size" {
  description = "Rows per scoring batch (null: the definition's default)."
  type        = number
  default     = null
}

variable "model_alias" {
  description = "Registry alias batch inference loads (null: champion)."
  type        = string
  default     = null
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
