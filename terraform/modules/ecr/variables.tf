variable "name_prefix" {
  description = "Prefix of the repository names, e.g. ml-platform-staging."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{2,40}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 4-42 characters of lowercase letters, digits and '-'."
  }
}

variable "repositories" {
  description = "Repository short names; the full name is <name_prefix>-<name>."
  type        = set(string)
  default     = ["training", "inference"]

  validation {
    condition     = alltrue([for r in var.repositories : can(regex("^[a-z0-9][a-z0-9-]*$", r))])
    error_message = "Repository names must be lowercase letters, digits and '-'."
  }
}

variable "kms_key_arn" {
  description = "KMS key encrypting the images."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "keep_images" {
  description = "How many most recent images each repository keeps."
  type        = number
  default     = 30

  validation {
    condition     = var.keep_images >= 1 && var.keep_images <= 1000
    error_message = "keep_images must be between 1 and 1000."
  }
}
