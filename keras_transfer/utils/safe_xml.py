"""`parse_xml`: parse XML from outside with document type declarations refused.

XML from outside is hostile: entity definitions can expand a small file into
gigabytes ("billion laughs"), and external entities can make a parser read
local files or URLs. Annotation formats such as Pascal VOC need none of
that, so `parse_xml` drives expat directly (as `defusedxml` does) and
refuses any `<!DOCTYPE ...>`, entity declaration or external entity
reference before it is expanded; the result is an `xml.etree.ElementTree`
element tree.
"""

import xml.etree.ElementTree as ElementTree
from xml.parsers import expat


class _Refused(ValueError):
    pass


def _refuse(what):
    def handler(*args):
        raise _Refused(what)
    return handler


def parse_xml(data, source="XML"):
    """Parses XML bytes into an `ElementTree.Element`, refusing DTDs and entities.

    Args:
        data: bytes. The document (read with a size bound first, e.g.
            `keras_transfer.utils.bounded_read.read_bounded`).
        source: str. Where it comes from, for the message.

    Returns:
        The root `xml.etree.ElementTree.Element`.

    Raises:
        ValueError: if the document has a document type declaration, an
            entity declaration or an external entity reference, or is not
            well-formed XML.
    """
    builder = ElementTree.TreeBuilder()
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _refuse("a document type declaration (<!DOCTYPE>)")
    parser.EntityDeclHandler = _refuse("an entity declaration")
    parser.UnparsedEntityDeclHandler = _refuse("an unparsed entity declaration")
    parser.ExternalEntityRefHandler = _refuse("an external entity reference")
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    parser.buffer_text = True
    try:
        parser.Parse(data, True)
    except _Refused as error:
        raise ValueError(
            f"{source} holds {error}, which is refused: annotation files do not "
            "need one, and entities can expand without bound or read local "
            "files.") from None
    except expat.ExpatError as error:
        raise ValueError(f"{source} is not well-formed XML ({error}).") from None
    return builder.close()
