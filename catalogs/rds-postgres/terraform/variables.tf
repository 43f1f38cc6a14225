# Variable names are the entry's parameter names (camelCase): envcat maps parameters to variables by name.

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

variable "masterPassword" {
  description = "Password of the master user; null generates a random one."
  type        = string
  default     = null
  sensitive   = true

  validation {
    # RDS for PostgreSQL: 8 to 128 printable ASCII characters other than '/', '"', '@' and space.
    condition     = var.masterPassword == null || can(regex("^[!#-.0-?A-~]{12,128}$", var.masterPassword))
    error_message = "masterPassword must be 12 to 128 printable ASCII characters other than '/', '\"', '@' and space."
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

variable "masterUsername" {
  description = "Name of the master user."
  type        = string
  default     = "envcat_admin"

  validation {
    condition     = can(regex("^[a-z][a-z0-9_]{0,15}$", var.masterUsername)) && !contains(["postgres", "rdsadmin"], var.masterUsername)
    error_message = "masterUsername must be a letter followed by up to 15 letters, digits or underscores, and not postgres or rdsadmin."
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

variable "multiAz" {
  description = "Keep a synchronous standby in a second availability zone."
  type        = bool
  default     = false
}

variable "backupRetentionDays" {
  description = "Days automated backups are kept; 0 turns them off."
  type        = number
  default     = 1

  validation {
    condition     = var.backupRetentionDays >= 0 && var.backupRetentionDays <= 35 && floor(var.backupRetentionDays) == var.backupRetentionDays
    error_message = "backupRetentionDays must be a whole number from 0 to 35."
  }
}

variable "skipFinalSnapshot" {
  description = "Delete the database without a final snapshot."
  type        = bool
  default     = true
}

# Not a parameter: extra tags for every resource.
variable "tags" {
  description = "Additional tags for every resource."
  type        = map(string)
  default     = {}
}
