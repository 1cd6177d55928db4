variable "definitions_dir" {
  description = "Folder of the pipeline definitions (training.json, inference.json) the local runner also executes."
  type        = string
}

variable "sagemaker_role_arn" {
  description = "Role the pipelines and their jobs run as."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.sagemaker_role_arn))
    error_message = "sagemaker_role_arn must be an IAM role ARN."
  }
}

variable "scheduler_role_arn" {
  description = "Role EventBridge Scheduler assumes to start the pipelines."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.scheduler_role_arn))
    error_message = "scheduler_role_arn must be an IAM role ARN."
  }
}

variable "pipelines" {
  description = "Pipelines by name (<model>-<kind>): the definition kind (training or inference), an EventBridge cron expression (null: no schedule) and the parameters each scheduled execution gets."
  type = map(object({
    kind                = string
    schedule_expression = optional(string)
    parameters          = map(string)
  }))

  validation {
    condition     = alltrue([for p in values(var.pipelines) : contains(["training", "inference"], p.kind)])
    error_message = "Each pipeline's kind must be training or inference."
  }

  validation {
    condition = alltrue([for p in values(var.pipelines) : p.schedule_expression == null || can(regex(
      "^cron\\((\\S+\\s){5}\\S+\\)$", p.schedule_expression
    ))])
    error_message = "Each schedule_expression must be an EventBridge cron with six fields, e.g. cron(0 2 * * ? *)."
  }

  # Scheduler parameter values: 1 to 1024 characters (empty ones are left out below).
  # https://docs.aws.amazon.com/scheduler/latest/APIReference/API_SageMakerPipelineParameter.html
  validation {
    condition     = alltrue(flatten([for p in values(var.pipelines) : [for v in values(p.parameters) : length(v) <= 1024]]))
    error_message = "A pipeline parameter value is longer than the 1024 characters SageMaker takes."
  }

  validation {
    condition     = alltrue([for k in keys(var.pipelines) : can(regex("^[a-z0-9][a-z0-9-]*[a-z0-9]$", k)) && length(k) <= 42])
    error_message = "Pipeline keys must be at most 42 lowercase letters, digits and '-' (e.g. churn-training)."
  }
}

variable "retry_attempts" {
  description = "How often the scheduler retries a failed StartPipelineExecution before dead-lettering it."
  type        = number
  default     = 3

  validation {
    condition     = var.retry_attempts >= 0 && var.retry_attempts <= 185
    error_message = "retry_attempts must be between 0 and 185."
  }
}

variable "alert_emails" {
  description = "Addresses subscribed to failed-execution alerts (each must confirm)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for e in var.alert_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "alert_emails must be e-mail addresses."
  }
}

variable "vpc_config" {
  description = "Subnets and security groups the jobs run in; null runs them without a VPC."
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  default = null

  validation {
    condition = var.vpc_config == null || (
      length(try(var.vpc_config.subnet_ids, [])) > 0 && length(try(var.vpc_config.security_group_ids, [])) > 0
      && alltrue([for s in try(var.vpc_config.subnet_ids, []) : can(regex("^subnet-[0-9a-f]+$", s))])
      && alltrue([for g in try(var.vpc_config.security_group_ids, []) : can(regex("^sg-[0-9a-f]+$", g))])
    )
    error_message = "vpc_config needs at least one subnet-... id and one sg-... id."
  }
}
