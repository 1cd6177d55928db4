variable "vpc_id" {
  description = "The VPC the jobs run in."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must be a VPC id such as vpc-0abc1234."
  }
}

variable "subnet_ids" {
  description = "Subnets of the interface endpoints: the jobs' subnets (one endpoint network interface each)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) > 0 && alltrue([for s in var.subnet_ids : can(regex("^subnet-[0-9a-f]+$", s))])
    error_message = "subnet_ids must be one or more subnet ids (subnet-...)."
  }
}

variable "route_table_ids" {
  description = "Route tables of the jobs' subnets: the S3 gateway endpoint is added to them."
  type        = list(string)

  validation {
    condition     = length(var.route_table_ids) > 0 && alltrue([for r in var.route_table_ids : can(regex("^rtb-[0-9a-f]+$", r))])
    error_message = "route_table_ids must be one or more route table ids (rtb-...)."
  }
}

variable "client_security_group_ids" {
  description = "Security groups of the jobs: the only sources allowed to reach the endpoints (HTTPS)."
  type        = list(string)

  validation {
    condition     = length(var.client_security_group_ids) > 0 && alltrue([for g in var.client_security_group_ids : can(regex("^sg-[0-9a-f]+$", g))])
    error_message = "client_security_group_ids must be one or more security group ids (sg-...)."
  }
}

variable "mlflow" {
  description = "Add the SageMaker MLflow endpoint (when the tracking server is a SageMaker MLflow ARN)."
  type        = bool
  default     = true
}

variable "secrets_manager" {
  description = "Add the Secrets Manager endpoint (a SASL/SCRAM Kafka password is read from it)."
  type        = bool
  default     = false
}
