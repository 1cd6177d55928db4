variable "bucket_arns" {
  description = "ARNs of the buckets the jobs read and write."
  type        = list(string)

  validation {
    condition     = length(var.bucket_arns) > 0 && alltrue([for a in var.bucket_arns : can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9.-]+$", a))])
    error_message = "bucket_arns must be a non-empty list of S3 bucket ARNs (no object paths, no wildcards)."
  }
}

variable "repository_arns" {
  description = "ECR repositories the jobs pull from."
  type        = list(string)

  validation {
    condition     = alltrue([for a in var.repository_arns : can(regex("^arn:aws[a-z-]*:ecr:", a))])
    error_message = "repository_arns must be ECR repository ARNs."
  }
}

variable "mlflow_tracking_server_arn" {
  description = "SageMaker MLflow tracking server the jobs use; empty when MLflow runs elsewhere."
  type        = string
  default     = ""

  validation {
    condition     = var.mlflow_tracking_server_arn == "" || can(regex("^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:mlflow-tracking-server/", var.mlflow_tracking_server_arn))
    error_message = "mlflow_tracking_server_arn must be empty or a SageMaker MLflow tracking server ARN."
  }
}

variable "offline_store_bucket_arn" {
  description = "The feature store's offline-store bucket (one of bucket_arns): Feature Store writes it with object ACLs."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:s3:::[a-z0-9.-]+$", var.offline_store_bucket_arn))
    error_message = "offline_store_bucket_arn must be an S3 bucket ARN."
  }
}

variable "kafka" {
  description = "How batch inference authenticates to Kafka: sasl_mechanism \"\" (none), SCRAM-SHA-512 (secret_arn, secret_kms_key_arn) or AWS_MSK_IAM (cluster_arn, topics, create_topics)."
  type = object({
    sasl_mechanism     = string
    cluster_arn        = optional(string, "")
    topics             = optional(list(string), [])
    create_topics      = optional(bool, false)
    secret_arn         = optional(string, "")
    secret_kms_key_arn = optional(string, "")
  })
  default = { sasl_mechanism = "" }

  validation {
    condition     = contains(["", "SCRAM-SHA-512", "AWS_MSK_IAM"], var.kafka.sasl_mechanism)
    error_message = "kafka.sasl_mechanism must be \"\", SCRAM-SHA-512 or AWS_MSK_IAM."
  }
  validation {
    condition     = var.kafka.sasl_mechanism != "AWS_MSK_IAM" || (can(regex("^arn:aws[a-z-]*:kafka:[a-z0-9-]+:[0-9]{12}:cluster/[^/]+/[^/]+$", var.kafka.cluster_arn)) && length(var.kafka.topics) > 0)
    error_message = "AWS_MSK_IAM needs kafka.cluster_arn (arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>) and the topics written."
  }
  validation {
    condition     = var.kafka.sasl_mechanism != "SCRAM-SHA-512" || (can(regex(":secret:AmazonMSK_", var.kafka.secret_arn)) && can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kafka.secret_kms_key_arn)))
    error_message = "SCRAM-SHA-512 needs kafka.secret_arn (a secret named AmazonMSK_*) and kafka.secret_kms_key_arn (its customer-managed key ARN)."
  }
}

variable "vpc_config" {
  description = "Subnets and security groups of the jobs (null: no VPC); grants the network interface permissions SageMaker needs."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null
}

variable "metrics_namespace" {
  description = "CloudWatch namespace the jobs may put metrics in (PutMetricData, limited by the cloudwatch:namespace condition); empty: none."
  type        = string
  default     = ""

  validation {
    condition     = var.metrics_namespace == "" || can(regex("^[A-Za-z0-9._/#:-]{1,255}$", var.metrics_namespace)) && !startswith(var.metrics_namespace, "AWS/")
    error_message = "metrics_namespace must be 1-255 letters, digits or . _ / # : - and must not start with AWS/ (reserved for AWS services)."
  }
}
