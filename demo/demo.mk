# The demo page, served by `make demo`.
