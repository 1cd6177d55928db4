# The `kms_key_arn` input of the modules that encrypt with the platform key (modules/storage
# creates it): each module's kms_key.tf is a link to this file; its README says what it encrypts.
variable "kms_key_arn" {
  description = "ARN of the platform's KMS key (modules/storage output kms_key_arn)."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN, arn:aws:kms:<region>:<account>:key/<id>."
  }
}
