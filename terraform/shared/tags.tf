# Every module's `tags` input, in one file: each module's tags.tf is a link to it.
variable "tags" {
  description = "Tags for every resource of the module that takes them, on top of the provider's default_tags."
  type        = map(string)
  default     = {}

  # Tag limits: keys of 1-128 characters, values of at most 256, and the aws: prefix is AWS's own
  # (https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html).
  validation {
    condition     = alltrue([for k, v in var.tags : length(k) >= 1 && length(k) <= 128 && length(v) <= 256 && !startswith(lower(k), "aws:")])
    error_message = "tags: each key must be 1-128 characters and must not start with aws:, each value at most 256 characters."
  }
}
