variable "project_name" {
  description = "Project name; with the environment it prefixes every resource name."
  type        = string
  default     = "ml-platform"
}

variable "environment" {
  description = "Environment name: staging or prod."
  type        = string

  validation {
    condition     = contains(["staging", "prod"], var.environment)
    error_message = "environment must be staging or prod."
  }
}

variable "aws_region" {
  description = "AWS region of the environment."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.aws_region))
    error_message = "aws_region must be a region name such as us-east-1."
  }
}

# The images, pinned by digest in images.auto.tfvars.json by scripts/build_push_ecr.sh. The ECR
# repositories are IMMUTABLE and never receive :latest, so a tag-only reference would never run.
variable "training_image_uri" {
  description = "Training image, <registry>/<repository>@sha256:<digest> (images.auto.tfvars.json)."
  type        = string
}

variable "inference_image_uri" {
  description = "Inference image, <registry>/<repository>@sha256:<digest> (images.auto.tfvars.json)."
  type        = string
}

variable "training_instance_type" {
  description = "SageMaker instance type of training, e.g. ml.m5.large."
  type        = string

  validation {
    condition     = can(regex("^ml\\.[a-z0-9]+\\.[a-z0-9]+$", var.training_instance_type))
    error_message = "training_instance_type must be a SageMaker instance type such as ml.m5.large."
  }
}

variable "inference_instance_type" {
  description = "SageMaker instance type of batch inference, e.g. ml.m5.large."
  type        = string

  validation {
    condition     = can(regex("^ml\\.[a-z0-9]+\\.[a-z0-9]+$", var.inference_instance_type))
    error_message = "inference_instance_type must be a SageMaker instance type such as ml.m5.large."
  }
}

variable "inference_instance_count" {
  description = "Instances of batch inference."
  type        = number
  default     = 1
}

variable "training_hyperparameters" {
  description = "Per model, training settings of this environment over the model spec's (strings), e.g. { churn = { n_estimators = \"200\" } }."
  type        = map(map(string))
  default     = {}
}

variable "experiment_name" {
  description = "MLflow experiment of the training runs (null: ml-platform-<environment>)."
  type        = string
  default     = null
}

variable "models" {
  description = "Models of models/ to deploy (null: all)."
  type        = list(string)
  default     = null
}

variable "kafka_create_topic" {
  description = "Whether batch inference creates a missing topic (\"true\" or \"false\"; null: false)."
  type        = string
  default     = null
}

variable "batch_size" {
  description = "Rows per scoring batch (null: the definition's default, 50000)."
  type        = number
  default     = null
}

variable "model_alias" {
  description = "Registry alias batch inference loads (null: champion)."
  type        = string
  default     = null
}

variable "kafka_bootstrap_servers" {
  description = "Kafka bootstrap servers, host:port[,host:port]."
  type        = string
}

variable "kafka_security_protocol" {
  description = "Kafka security.protocol of batch inference: PLAINTEXT, SSL or SASL_SSL."
  type        = string
  default     = "PLAINTEXT"
}

variable "kafka_sasl_mechanism" {
  description = "With SASL_SSL: SCRAM-SHA-512 or AWS_MSK_IAM; empty otherwise."
  type        = string
  default     = ""
}

variable "kafka_secret_arn" {
  description = "With SCRAM-SHA-512: ARN of the AmazonMSK_* secret holding the SASL username and password."
  type        = string
  default     = ""
}

variable "kafka_secret_kms_key_arn" {
  description = "With SCRAM-SHA-512: the customer-managed KMS key of kafka_secret_arn."
  type        = string
  default     = ""
}

variable "kafka_cluster_arn" {
  description = "With AWS_MSK_IAM: the MSK cluster ARN."
  type        = string
  default     = ""
}

variable "mlflow_tracking_uri" {
  description = "An existing MLflow tracking server: SageMaker MLflow ARN or http(s) URL (empty with create_mlflow_tracking_server)."
  type        = string
  default     = ""
}

variable "create_mlflow_tracking_server" {
  description = "Create a SageMaker managed MLflow tracking server instead of using mlflow_tracking_uri."
  type        = bool
  default     = false
}

variable "job_subnet_ids" {
  description = "Subnets the jobs run in (empty: no VPC)."
  type        = list(string)
  default     = []
}

variable "job_security_group_ids" {
  description = "Security groups of the jobs when job_subnet_ids is set."
  type        = list(string)
  default     = []
}

variable "create_vpc_endpoints" {
  description = "Create the VPC endpoints the jobs need without a NAT gateway (needs vpc_id and vpc_route_table_ids)."
  type        = bool
  default     = false
}

variable "vpc_id" {
  description = "VPC of job_subnet_ids (with create_vpc_endpoints)."
  type        = string
  default     = ""
}

variable "vpc_route_table_ids" {
  description = "Route tables of job_subnet_ids (with create_vpc_endpoints)."
  type        = list(string)
  default     = []
}

variable "alert_emails" {
  description = "Addresses receiving failed-pipeline alerts."
  type        = list(string)
  default     = []
}

# -- read by scripts/generate_params_json.py for manual runs; checked against what Terraform creates
variable "sagemaker_role_arn" {
  description = "ARN of the SageMaker execution role Terraform creates (for manual pipeline runs)."
  type        = string
}

variable "feature_group_prefix" {
  description = "Prefix of the deployed feature group names: <project>-<environment>-."
  type        = string
}

variable "kms_key_id" {
  description = "The platform key's alias Terraform creates, alias/<project>-<environment> (KmsKeyId of manual runs)."
  type        = string
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

variable "data_uri" {
  description = "The data bucket Terraform creates, s3://<project>-<environment>-data-<account>: {data_uri} of the model specs (labels, entity lists)."
  type        = string
}

variable "model_output_s3_uri" {
  description = "Training output location Terraform uses: s3://<models bucket>/training."
  type        = string
}

variable "report_s3_uri" {
  description = "Inference report location Terraform uses: s3://<models bucket>/inference-reports."
  type        = string
}
