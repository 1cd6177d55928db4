# The `name_prefix` input of the modules that name resources <project>-<environment>-...: each
# module's name_prefix.tf is a link to this file.
variable "name_prefix" {
  description = "Prefix of the names of what the module creates, e.g. ml-platform-staging."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{2,40}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 4-42 characters of lowercase letters, digits and '-', starting and ending with a letter or digit."
  }
}
