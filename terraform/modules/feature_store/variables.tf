variable "name_prefix" {
  description = "Prefix of the deployed feature group names; a group is <name_prefix>-<spec name>."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9][a-zA-Z0-9-]{0,22}$", var.name_prefix))
    error_message = "name_prefix must be at most 23 letters, digits or '-' (SageMaker allows 64 characters in all)."
  }
}

variable "specs_dir" {
  description = "Folder of the feature group spec files (<group>.yaml), the same files the Python code reads."
  type        = string
}

variable "offline_store_s3_uri" {
  description = "S3 URI under which SageMaker writes the offline store."
  type        = string

  validation {
    condition     = can(regex("^s3://[a-z0-9.-]+(/.*)?$", var.offline_store_s3_uri))
    error_message = "offline_store_s3_uri must be an s3:// URI."
  }
}

variable "role_arn" {
  description = "Role SageMaker uses to write the offline store."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/", var.role_arn))
    error_message = "role_arn must be an IAM role ARN."
  }
}
