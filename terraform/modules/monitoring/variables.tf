variable "metrics" {
  description = "Where the jobs' metrics are: their CloudWatch namespace (ml_platform.config.CLOUDWATCH_NAMESPACE) and this environment's value of the Environment dimension."
  type = object({
    namespace   = optional(string, "MLPlatform")
    environment = string
  })

  validation {
    condition = (can(regex("^[A-Za-z0-9._/#:-]{1,255}$", var.metrics.namespace)) && !startswith(var.metrics.namespace, "AWS/")
    && can(regex("^[a-z][a-z0-9-]{0,15}$", var.metrics.environment)))
    error_message = "metrics.namespace must be 1-255 letters, digits or . _ / # : - not starting with AWS/; metrics.environment 1-16 lowercase letters, digits or '-'."
  }
}

variable "models" {
  description = "Per model: the drift limit of its spec (monitoring.drift.fail_psi), the skipped share its runs fail above, and the realised ROC-AUC below which it alarms (promotion.floor when the spec promotes on roc_auc; null: no such alarm)."
  type = map(object({
    drift_fail_psi    = number
    max_skipped_share = number
    roc_auc_floor     = optional(number)
  }))

  validation {
    condition = alltrue([for m in values(var.models) : m.drift_fail_psi > 0 && m.max_skipped_share >= 0 && m.max_skipped_share <= 1
    && (m.roc_auc_floor == null ? true : m.roc_auc_floor >= 0 && m.roc_auc_floor <= 1)])
    error_message = "each model needs drift_fail_psi > 0, max_skipped_share in [0, 1] and, when set, roc_auc_floor in [0, 1]."
  }
}

variable "alarm" {
  description = "Where the alarms go (an SNS topic ARN: the pipelines module's alerts topic) and after how many hours without a successful inference run the staleness alarm fires (CloudWatch evaluates at most 7 days)."
  type = object({
    topic_arn         = string
    stale_after_hours = optional(number, 26)
  })

  validation {
    condition = (can(regex("^arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:.+$", var.alarm.topic_arn))
    && var.alarm.stale_after_hours >= 1 && var.alarm.stale_after_hours <= 168 && floor(var.alarm.stale_after_hours) == var.alarm.stale_after_hours)
    error_message = "alarm.topic_arn must be an SNS topic ARN; alarm.stale_after_hours a whole number of hours from 1 to 168."
  }
}
