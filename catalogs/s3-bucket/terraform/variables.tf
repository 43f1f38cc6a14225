# Variable names are the entry's parameter names (camelCase): envcat maps parameters to variables by name.

variable "bucketName" {
  description = "Globally unique bucket name; empty generates one starting with \"envcat-\"."
  type        = string
  default     = ""

  validation {
    condition     = var.bucketName == "" || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucketName))
    error_message = "bucketName must be 3-63 lower-case letters, digits, \".\" and \"-\", starting and ending with a letter or digit."
  }
}

variable "region" {
  description = "AWS region the bucket is created in."
  type        = string
  default     = "eu-west-1"
}

variable "versioningEnabled" {
  description = "Keep every version of every object."
  type        = bool
  default     = true
}

variable "sseAlgorithm" {
  description = "Server-side encryption: AES256 or aws:kms."
  type        = string
  default     = "AES256"

  validation {
    condition     = contains(["AES256", "aws:kms"], var.sseAlgorithm)
    error_message = "sseAlgorithm must be AES256 or aws:kms."
  }
}

variable "kmsKeyId" {
  description = "KMS key for aws:kms encryption; empty uses the AWS-managed key."
  type        = string
  default     = ""
}

variable "expirationDays" {
  description = "Delete objects this many days after creation; 0 keeps them forever."
  type        = number
  default     = 0

  validation {
    condition     = var.expirationDays >= 0 && var.expirationDays <= 3650 && floor(var.expirationDays) == var.expirationDays
    error_message = "expirationDays must be a whole number from 0 to 3650."
  }
}

variable "forceDestroy" {
  description = "Empty the bucket on deletion instead of failing."
  type        = bool
  default     = true
}

# Not a parameter: extra tags for every resource.
variable "tags" {
  description = "Additional tags for every resource."
  type        = map(string)
  default     = {}
}
