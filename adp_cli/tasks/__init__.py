"""Tasks and items: what each generation asks (``task``, one module per task, ``registry``),
and what it is asked about (documents and flags made into validated items, the wizard data,
the prompts and messages, the prepared request, the result)."""
