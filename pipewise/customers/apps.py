from django.apps import AppConfig


class CustomersConfig(AppConfig):
    name = "pipewise.customers"
    label = "customers"
    verbose_name = "Accounts and contacts"
