variable "repositories" {
  description = "Repository short names; the full name is <name_prefix>-<name>."
  type        = set(string)
  default     = ["training", "inference"]

  validation {
    condition     = alltrue([for r in var.repositories : can(regex("^[a-z0-9][a-z0-9-]*$", r))])
    error_message = "Repository names must be lowercase letters, digits and '-'."
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
