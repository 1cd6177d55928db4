mock_provider "aws" {}

# The module's own fixture specs (tests/fixtures), not the repository's: a TTL in hours, an
# Integral id, an offline-only group. Expected values are the fixtures' own, written out here.
variables {
  name_prefix          = "ml-platform-test"
  specs_dir            = "./tests/fixtures"
  offline_store_s3_uri = "s3://ml-platform-test-offline-store-123456789012/feature-store"
  kms_key_arn          = "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  role_arn             = "arn:aws:iam::123456789012:role/ml-platform-test-sagemaker-execution"
}

run "one_group_per_spec_file_as_the_file_says" {
  command = plan

  assert {
    condition     = toset(keys(aws_sagemaker_feature_group.this)) == toset(["events_hourly", "archive_only"])
    error_message = "one feature group per spec file"
  }

  assert {
    condition     = aws_sagemaker_feature_group.this["events_hourly"].feature_group_name == "ml-platform-test-events_hourly"
    error_message = "deployed name is <name_prefix>-<spec name>"
  }

  assert {
    condition = (
      aws_sagemaker_feature_group.this["events_hourly"].online_store_config[0].ttl_duration[0].unit == "Hours"
      && aws_sagemaker_feature_group.this["events_hourly"].online_store_config[0].ttl_duration[0].value == 6
    )
    error_message = "the TTL, unit and value, comes from the spec file"
  }

  assert {
    condition     = [for f in aws_sagemaker_feature_group.this["archive_only"].feature_definition : "${f.feature_name}:${f.feature_type}"] == ["machine_id:Integral", "reading_time:Fractional", "temperature_c:Fractional"]
    error_message = "features, in order and typed, come from the spec file"
  }

  assert {
    condition = (
      !aws_sagemaker_feature_group.this["archive_only"].online_store_config[0].enable_online_store
      && length(aws_sagemaker_feature_group.this["archive_only"].online_store_config[0].ttl_duration) == 0
    )
    error_message = "an offline-only group has no online store and no TTL"
  }

  assert {
    condition = alltrue([for g in aws_sagemaker_feature_group.this :
      g.online_store_config[0].security_config[0].kms_key_id == var.kms_key_arn
      && g.offline_store_config[0].s3_storage_config[0].kms_key_id == var.kms_key_arn
    ])
    error_message = "both stores with the platform key"
  }
}

run "minimal_example_plans" {
  command = plan

  module {
    source = "./examples/minimal"
  }

  assert {
    condition     = toset([for g in values(module.feature_store.feature_groups) : g.name]) == toset(["example-staging-events_hourly", "example-staging-archive_only"])
    error_message = "the example deploys the fixture specs under its prefix"
  }
}
