"""The console's routes: pages and the forms that post to them."""
