"""Typed errors of the product. Each maps to one exit code (CLI) or HTTP status (API) in one place."""


class CloudOptimError(Exception):
    """Base class: the message is one clear line naming the problem."""


class InputFileError(CloudOptimError):
    """A file given to us cannot be read or is not in the expected format."""


class UnknownRegionError(CloudOptimError):
    """The region is not covered by the data at hand."""


class NoPoolFitsError(CloudOptimError):
    """No instance type meets the requirements."""


class InvalidArgumentError(CloudOptimError):
    """An option value is out of range or malformed."""
