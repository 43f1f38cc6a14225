output "endpoint" {
  description = "Host name of the database (without the port)."
  value       = aws_db_instance.this.address
}

output "port" {
  description = "Port the database listens on."
  value       = aws_db_instance.this.port
}

output "username" {
  description = "Name of the master user."
  value       = aws_db_instance.this.username
}

output "password" {
  description = "Generated password of the master user."
  value       = random_password.master.result
  sensitive   = true
}
