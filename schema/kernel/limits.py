"""Document limits: cheap checks that bound a GraphQL document before the expensive work.

A document meets them in order. Its length in characters and its lexical tokens (counted by
graphql-core's lexer, which stops one past the limit) are checked before it is parsed; then,
before any validation rule runs, one walk of the parsed document measures its depth, its
aliases, its directives and how often one response name is selected in one selection set.
Fragments count as the executor would expand them (a fragment spread twice counts twice),
each fragment measured once, so a "fragment bomb" is measured in linear time and refused.
Only a document within every limit reaches validation, whose rules (overlapping fields in
particular) cost far more than the document's size. A document already checked is not
walked again.

Depth follows graphql-depth-limit: root fields are at depth 0, so
``{ alliance { plans { edges { node { id } } } } }`` has depth 4.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSyntaxError,
    InlineFragmentNode,
    Lexer,
    OperationDefinitionNode,
    SelectionSetNode,
    Source,
    TokenKind,
)
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext

from portal.kernel.errors import ErrorCode

CHECKED_DOCUMENTS = 1024
"""How many documents within the limits are remembered, so repeated ones skip the walk."""


@dataclass(frozen=True, slots=True)
class DocumentLimits:
    """The most a document may have of each measure (settings ``PORTAL_MAX_*``)."""

    characters: int = 20_000
    tokens: int = 1_000
    depth: int = 8
    aliases: int = 15
    directives: int = 10
    repeated_fields: int = 10


@dataclass(frozen=True, slots=True)
class Excess:
    """A measure over its limit: what, the limit, and how much the document has."""

    measure: str
    limit: int
    found: int

    def error(self) -> GraphQLError:
        """The error the client gets: QUERY_TOO_COMPLEX with the measure and the numbers
        (for tokens, ``found`` is one past the limit: counting stops there)."""
        return GraphQLError(
            f"the document exceeds the {self.measure} limit: {self.found} > {self.limit}",
            extensions={
                "code": ErrorCode.QUERY_TOO_COMPLEX.value,
                "limit": {"measure": self.measure, "max": self.limit, "found": self.found},
            },
        )


@dataclass(slots=True)
class _Shape:
    """What one selection set holds, fragments expanded: its depth below, the aliases and
    directives within, and the most times a response name repeats at any one level."""

    depth: int = 0
    aliases: int = 0
    directives: int = 0
    repeated: int = 0
    names: Counter[str] = field(default_factory=Counter)
    """Response names selected directly in this selection set (fragments merged in)."""


class _Walk:
    def __init__(self, document: DocumentNode) -> None:
        self.fragments = {
            definition.name.value: definition
            for definition in document.definitions
            if isinstance(definition, FragmentDefinitionNode)
        }
        self.done: dict[str, _Shape] = {}
        self.open: set[str] = set()

    def fragment(self, name: str) -> _Shape:
        if name in self.done:
            return self.done[name]
        definition = self.fragments.get(name)
        if definition is None or name in self.open:
            # unknown or cyclic: validation refuses it; measure it as empty meanwhile
            return _Shape()
        self.open.add(name)
        shape = self.selection_set(definition.selection_set)
        shape.directives += len(definition.directives or ())
        self.open.discard(name)
        self.done[name] = shape
        return shape

    def selection_set(self, selection_set: SelectionSetNode | None) -> _Shape:
        shape = _Shape()
        if selection_set is None:
            return shape
        for selection in selection_set.selections:
            shape.directives += len(selection.directives or ())
            if isinstance(selection, FieldNode):
                shape.names[(selection.alias or selection.name).value] += 1
                shape.aliases += selection.alias is not None
                if selection.selection_set is not None:
                    below = self.selection_set(selection.selection_set)
                    shape.depth = max(shape.depth, below.depth + 1)
                    self._add(shape, below)
                continue
            inner = (
                self.fragment(selection.name.value)
                if isinstance(selection, FragmentSpreadNode)
                else self.selection_set(selection.selection_set)
                if isinstance(selection, InlineFragmentNode)
                else _Shape()
            )
            shape.depth = max(shape.depth, inner.depth)
            shape.names.update(inner.names)
            self._add(shape, inner)
        shape.repeated = max(shape.repeated, max(shape.names.values(), default=0))
        return shape

    @staticmethod
    def _add(shape: _Shape, inner: _Shape) -> None:
        shape.aliases += inner.aliases
        shape.directives += inner.directives
        shape.repeated = max(shape.repeated, inner.repeated)


@lru_cache(maxsize=CHECKED_DOCUMENTS)
def count_tokens(query: str, limit: int) -> int:
    """The lexical tokens of ``query`` (comments are not tokens), counting stops at
    ``limit + 1``. A syntax error ends the count: the parser will report it."""
    lexer = Lexer(Source(query))
    count = 0
    try:
        while count <= limit and lexer.advance().kind is not TokenKind.EOF:
            count += 1
    except GraphQLSyntaxError:
        pass
    return count


def measure(document: DocumentNode, limits: DocumentLimits) -> Excess | None:
    """The first limit ``document`` exceeds (depth, aliases, directives, repeated fields),
    or None. Each operation is measured on its own, fragments expanded."""
    walk = _Walk(document)
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        shape = walk.selection_set(definition.selection_set)
        directives = shape.directives + len(definition.directives or ())
        for name, found, limit in (
            ("depth", shape.depth, limits.depth),
            ("aliases", shape.aliases, limits.aliases),
            ("directives", directives, limits.directives),
            ("repeated fields", shape.repeated, limits.repeated_fields),
        ):
            if found > limit:
                return Excess(name, limit, found)
    return None


_SUGGESTION = re.compile(r"\s*Did you mean [^?]*\?")


def without_suggestions(message: str) -> str:
    """``message`` without graphql-core's "Did you mean ...?" hints, which would name
    fields, arguments, types and enum values of the schema to anyone probing it."""
    return _SUGGESTION.sub("", message)


def document_limits(limits: DocumentLimits) -> type[SchemaExtension]:
    """The extension class that bounds documents by ``limits`` and then validates them.

    strawberry instantiates it per operation; what it remembers (the verdict on each
    recent document: its limit error or its validation errors) belongs to the class,
    shared by every operation of the schema. It replaces strawberry's ``ValidationCache``,
    which would validate a document this extension has already refused."""
    verdicts: dict[tuple[str, tuple[type[ASTValidationRule], ...]], list[GraphQLError]] = {}
    """Insertion-ordered: the oldest entry goes first when the memory is full."""

    def verdict(context: ExecutionContext, document: DocumentNode) -> list[GraphQLError]:
        rules = tuple(context.validation_rules)
        key = (context.query or "", rules)
        found = verdicts.get(key)
        if found is None:
            excess = measure(document, limits)
            found = (
                [excess.error()]
                if excess is not None
                else validate_document(context.schema._schema, document, rules)
            )
            verdicts[key] = found
            if len(verdicts) > CHECKED_DOCUMENTS:
                del verdicts[next(iter(verdicts))]
        return found

    class LimitDocuments(SchemaExtension):
        """Bounds a document before it is parsed, while it is parsed, and before it is
        validated; see :mod:`schema.kernel.limits`."""

        def on_parse(self) -> Iterator[None]:
            context = self.execution_context
            query = context.query or ""
            if len(query) > limits.characters:
                raise Excess("characters", limits.characters, len(query)).error()
            tokens = count_tokens(query, limits.tokens)
            if tokens > limits.tokens:
                raise Excess("tokens", limits.tokens, tokens).error()
            yield

        def on_validate(self) -> Iterator[None]:
            context = self.execution_context
            document = context.graphql_document
            if context.pre_execution_errors is None and document is not None:
                context.pre_execution_errors = verdict(context, document)
            yield

    return LimitDocuments
