"""SGLang's wire formats, one module per endpoint."""
