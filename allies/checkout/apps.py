from django.apps import AppConfig


class CheckoutConfig(AppConfig):
    name = "allies.checkout"

    def ready(self) -> None:
        # The cart (a lower layer) checks a discount code's usage limits; the checkout,
        # which places the orders, counts them.
        from allies.checkout.discount_uses import discount_code_uses
        from allies.core.hooks import hook_register

        hook_register("discount_code_uses", discount_code_uses)
