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

variable "feature_specs_dir" {
  description = "Folder of the feature group spec files (null: the repository's feature_groups/; tests point it at fixtures)."
  type        = string
  default     = null
}

variable "pipeline_definitions_dir" {
  description = "Folder of the pipeline definitions and parameters.json (null: the repository's pipelines/; tests point it at fixtures)."
  type        = string
  default     = null
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
  description = "Folder of the model specs (<model>.yaml): one training and one inference pipeline each, scheduled as the spec says (null: the repository's models/; tests point it at fixtures)."
  type        = string
  default     = null
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

# -- Kafka security: the same three modes the job takes (ml_inference.settings), checked here so a
# plan fails before anything is deployed. MSK's listeners: 9092 PLAINTEXT, 9094 TLS, 9096 SASL/SCRAM,
# 9098 IAM (https://docs.aws.amazon.com/msk/latest/developerguide/port-info.html).
variable "kafka_security_protocol" {
  description = "security.protocol of batch inference: PLAINTEXT, SSL, or SASL_SSL (with kafka_sasl_mechanism)."
  type        = string
  default     = "PLAINTEXT"

  validation {
    condition     = contains(["PLAINTEXT", "SSL", "SASL_SSL"], var.kafka_security_protocol)
    error_message = "kafka_security_protocol must be PLAINTEXT, SSL or SASL_SSL."
  }
  validation {
    condition     = var.kafka_security_protocol != "SASL_SSL" || length(var.job_subnet_ids) > 0
    error_message = "kafka_security_protocol = SASL_SSL (Amazon MSK) needs job_subnet_ids: MSK brokers are reachable only inside their VPC."
  }
}

variable "kafka_sasl_mechanism" {
  description = "SASL mechanism with SASL_SSL: SCRAM-SHA-512 (kafka_secret_arn) or AWS_MSK_IAM (kafka_cluster_arn); empty otherwise."
  type        = string
  default     = ""

  validation {
    condition     = contains(["", "SCRAM-SHA-512", "AWS_MSK_IAM"], var.kafka_sasl_mechanism)
    error_message = "kafka_sasl_mechanism must be SCRAM-SHA-512 or AWS_MSK_IAM (MSK's SASL mechanisms), or empty without SASL."
  }
  validation {
    condition     = (var.kafka_security_protocol == "SASL_SSL") == (var.kafka_sasl_mechanism != "")
    error_message = "kafka_sasl_mechanism is set exactly when kafka_security_protocol = SASL_SSL (SCRAM-SHA-512 or AWS_MSK_IAM)."
  }
}

variable "kafka_secret_arn" {
  description = "With SCRAM-SHA-512: the Secrets Manager secret of the SASL user (JSON username/password), named AmazonMSK_*."
  type        = string
  default     = ""

  validation {
    condition     = (var.kafka_sasl_mechanism == "SCRAM-SHA-512") == (var.kafka_secret_arn != "")
    error_message = "kafka_secret_arn is set exactly when kafka_sasl_mechanism = SCRAM-SHA-512."
  }
  # MSK associates only secrets whose name starts with AmazonMSK_, encrypted with a customer-managed
  # key (https://docs.aws.amazon.com/msk/latest/developerguide/msk-password.html).
  validation {
    condition     = var.kafka_secret_arn == "" || can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:AmazonMSK_[A-Za-z0-9/_+=.@-]+$", var.kafka_secret_arn))
    error_message = "kafka_secret_arn must be the ARN of a secret whose name starts with AmazonMSK_ (MSK refuses other SCRAM secrets); rename the secret and use its ARN."
  }
}

variable "kafka_secret_kms_key_arn" {
  description = "With SCRAM-SHA-512: ARN of the customer-managed KMS key encrypting kafka_secret_arn (the role may decrypt through Secrets Manager only)."
  type        = string
  default     = ""

  validation {
    condition     = (var.kafka_sasl_mechanism == "SCRAM-SHA-512") == can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-f0-9-]+$", var.kafka_secret_kms_key_arn))
    error_message = "kafka_secret_kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>) exactly when kafka_sasl_mechanism = SCRAM-SHA-512 (MSK's SCRAM secrets use a customer-managed key)."
  }
}

variable "kafka_cluster_arn" {
  description = "With AWS_MSK_IAM: the MSK cluster ARN; the role may connect to it and write the models' topics."
  type        = string
  default     = ""

  validation {
    condition     = (var.kafka_sasl_mechanism == "AWS_MSK_IAM") == can(regex("^arn:aws[a-z-]*:kafka:[a-z0-9-]+:[0-9]{12}:cluster/[^/]+/[^/]+$", var.kafka_cluster_arn))
    error_message = "kafka_cluster_arn must be an MSK cluster ARN (arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>) exactly when kafka_sasl_mechanism = AWS_MSK_IAM."
  }
}

variable "mlflow_server_version" {
  description = "MLflow version of a created tracking server; the jobs' MLflow client must match it (tests/unit/test_mlflow_version.py)."
  type        = string
  default     = "3.0"

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+$", var.mlflow_server_version))
    error_message = "mlflow_server_version must be major.minor, e.g. 3.0."
  }
}

variable "create_vpc_endpoints" {
  description = "Create the VPC endpoints the jobs need when their subnets have no NAT gateway (modules/vpc_endpoints)."
  type        = bool
  default     = false

  validation {
    condition     = !var.create_vpc_endpoints || (var.vpc_id != "" && length(var.vpc_route_table_ids) > 0 && length(var.job_subnet_ids) > 0 && length(var.job_security_group_ids) > 0)
    error_message = "create_vpc_endpoints needs vpc_id, vpc_route_table_ids, job_subnet_ids and job_security_group_ids."
  }
}

variable "vpc_id" {
  description = "VPC of job_subnet_ids (with create_vpc_endpoints)."
  type        = string
  default     = ""
}

variable "vpc_route_table_ids" {
  description = "Route tables of job_subnet_ids: the S3 gateway endpoint goes there (with create_vpc_endpoints)."
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

variable "predictions_s3_uri" {
  description = "Prediction archive location Terraform uses: s3://<models bucket>/predictions (what each inference run published)."
  type        = string
}
