# The smallest use of the module: its required input only. Planned by the module's terraform test.
module "storage" {
  source      = "../.."
  name_prefix = "example-staging"
}
