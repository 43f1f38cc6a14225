# Variable names are the entry's parameter names (camelCase): envcat maps parameters to variables by name.
# pgadminEmail and pgadminPassword belong to the apps part only and are deliberately not variables.

variable "databaseName" {
  description = "Name of the database created in the instance."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,62}$", var.databaseName))
    error_message = "databaseName must be a lower-case letter followed by up to 62 lower-case letters, digits or underscores."
  }
}

variable "instanceClass" {
  description = "RDS instance class."
  type        = string
  default     = "db.t3.micro"

  validation {
    condition     = contains(["db.t3.micro", "db.t3.small"], var.instanceClass)
    error_message = "instanceClass must be db.t3.micro or db.t3.small."
  }
}

variable "allocatedStorage" {
  description = "Allocated gp3 storage in GiB."
  type        = number
  default     = 20

  validation {
    condition     = var.allocatedStorage >= 20 && var.allocatedStorage <= 1000 && floor(var.allocatedStorage) == var.allocatedStorage
    error_message = "allocatedStorage must be a whole number of GiB from 20 to 1000."
  }
}

variable "engineVersion" {
  description = "Major PostgreSQL version."
  type        = string
  default     = "16"

  validation {
    condition     = contains(["17", "16", "15", "14"], var.engineVersion)
    error_message = "engineVersion must be one of 17, 16, 15, 14."
  }
}

variable "region" {
  description = "AWS region the database is created in."
  type        = string
  default     = "eu-west-1"
}

variable "vpcId" {
  description = "ID of the VPC; empty selects the region's default VPC."
  type        = string
  default     = ""
}

variable "subnetIds" {
  description = "IDs of the subnets of the database subnet group; empty uses the default VPC's default subnet group."
  type        = list(string)
  default     = []
}

variable "allowedCidrBlocks" {
  description = "IPv4 CIDR blocks allowed on port 5432 in addition to the VPC's CIDR block."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.allowedCidrBlocks : can(cidrhost(c, 0))])
    error_message = "allowedCidrBlocks must hold IPv4 CIDR blocks."
  }
}

# Not a parameter: extra tags for every resource.
variable "tags" {
  description = "Additional tags for every resource."
  type        = map(string)
  default     = {}
}
