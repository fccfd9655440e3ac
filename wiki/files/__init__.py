"""Files beside the pages: serving them safely, uploads through the API."""
