# make test: every test, after installing what they need.
