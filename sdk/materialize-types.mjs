// Writes type aliases out in full: sdk/types.ts and sdk/job-types.ts define the SDK's public types as
// paths into the server's AppRouter (inferProcedureOutput<AppRouter["retrieve"]>, ...); the published
// .d.ts must not need the server's source, tRPC or zod, so each is printed here as the interface or
// union it resolves to, with the doc comment of every field (the server's, where it wrote one).
// A type that is itself one of the public types is printed by name, so the output reads like
// hand-written declarations. Used by sdk/build.mjs, which then checks that each printed declaration
// is identical to the type it was printed from.
import ts from "typescript";

const { TypeFlags, ObjectFlags, SymbolFlags } = ts;

/** A `/** … *\/` block at `indent`, or "" when `text` is empty. */
function docBlock(text, indent) {
  const t = text.trim();
  if (!t) return "";
  const lines = t.split("\n");
  if (lines.length === 1 && !t.includes("*/")) return `${indent}/** ${t} */\n`;
  return `${indent}/**\n${lines.map((l) => `${indent} * ${l}`.trimEnd()).join("\n")}\n${indent} */\n`;
}

/** A symbol's documentation: its comment and its JSDoc tags, as written. */
function docOf(symbol, checker) {
  const text = ts.displayPartsToString(symbol.getDocumentationComment(checker));
  const tags = symbol.getJsDocTags(checker).map((t) => `@${t.name}${t.text ? ` ${ts.displayPartsToString(t.text)}` : ""}`);
  return [text, ...tags].filter(Boolean).join("\n");
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * Print the exported type aliases and interfaces of `files` (absolute paths in `program`) in full.
 * Returns `declarations`, [{ name, file, text, isObject }] in declaration order (`text`: a
 * declaration without `export`), and `nameOf(type)`, the public name a type prints as, if any.
 */
export function materializeTypes(program, files) {
  const checker = program.getTypeChecker();
  const entries = [];
  for (const file of files) {
    const sf = program.getSourceFile(file);
    if (!sf) throw new Error(`${file} is not in the program`);
    for (const st of sf.statements) {
      if (!(ts.isTypeAliasDeclaration(st) || ts.isInterfaceDeclaration(st))) continue;
      if (!(ts.getCombinedModifierFlags(st) & ts.ModifierFlags.Export)) continue;
      if (st.typeParameters?.length) throw new Error(`${st.name.text}: generic public types cannot be written out`);
      const symbol = checker.getSymbolAtLocation(st.name);
      entries.push({ name: st.name.text, file, node: ts.isTypeAliasDeclaration(st) ? st.type : undefined, type: checker.getDeclaredTypeOfSymbol(symbol), doc: docOf(symbol, checker) });
    }
  }
  const named = new Map(entries.map((e) => [e.type, e.name]));

  const isBooleanLiteral = (t) => (t.flags & TypeFlags.BooleanLiteral) !== 0;

  /** `t` as type text at `indent`; `root` is printed structurally even though it has a name. */
  function print(t, indent, stack, root = false, rootNode = undefined) {
    if (!root && named.has(t)) return named.get(t);
    if (stack.includes(t)) throw new Error(`cannot write out a recursive type without a public name: ${checker.typeToString(t)}`);
    const inner = [...stack, t];
    const f = t.flags;
    if (
      f &
      (TypeFlags.Any |
        TypeFlags.Unknown |
        TypeFlags.String |
        TypeFlags.Number |
        TypeFlags.Boolean |
        TypeFlags.BigInt |
        TypeFlags.Null |
        TypeFlags.Undefined |
        TypeFlags.Void |
        TypeFlags.Never |
        TypeFlags.ESSymbol)
    ) {
      return checker.typeToString(t);
    }
    if (f & (TypeFlags.StringLiteral | TypeFlags.NumberLiteral | TypeFlags.BigIntLiteral | TypeFlags.BooleanLiteral | TypeFlags.TemplateLiteral)) {
      return checker.typeToString(t, undefined, ts.TypeFormatFlags.NoTruncation);
    }
    if (f & TypeFlags.Union) return printUnion(t.types, indent, inner, { order: writtenOrder(root ? rootNode : t.aliasSymbol?.declarations?.[0]?.type), root: root ? t : null });
    if (f & TypeFlags.Intersection) return printObject(t, indent, inner);
    if (f & TypeFlags.Object) {
      if (checker.isArrayType(t)) {
        const element = checker.getTypeArguments(t)[0];
        const el = print(element, indent, inner);
        return element.flags & TypeFlags.Union && el.includes(" | ") ? `(${el})[]` : `${el}[]`;
      }
      if (checker.isTupleType(t))
        return `[${checker
          .getTypeArguments(t)
          .map((a) => print(a, indent, inner))
          .join(", ")}]`;
      if (t.aliasSymbol?.name === "Record" && t.aliasTypeArguments?.length === 2) {
        return `Record<${t.aliasTypeArguments.map((a) => print(a, indent, inner)).join(", ")}>`;
      }
      if (t.getCallSignatures().length || t.getConstructSignatures().length) {
        throw new Error(`cannot write out a function type: ${checker.typeToString(t)}`);
      }
      const decl = t.symbol?.declarations?.[0];
      if (t.objectFlags & (ObjectFlags.ClassOrInterface | ObjectFlags.Reference) && decl?.getSourceFile().hasNoDefaultLib) {
        throw new Error(`cannot write out a standard library type: ${checker.typeToString(t)}`);
      }
      const same = root ? undefined : sameObject(t);
      return same ?? printObject(t, indent, inner);
    }
    throw new Error(`cannot write out type ${checker.typeToString(t)} (flags ${f})`);
  }

  /** An object type's members, one per line, each with its doc comment. */
  function printObject(t, indent, stack) {
    const lines = [];
    const next = `${indent}    `;
    for (const info of checker.getIndexInfosOfType(t)) {
      lines.push(`${next}${info.isReadonly ? "readonly " : ""}[key: ${print(info.keyType, next, stack)}]: ${print(info.type, next, stack)};`);
    }
    for (const prop of checker.getPropertiesOfType(t)) {
      const optional = (prop.flags & SymbolFlags.Optional) !== 0;
      const type = checker.getTypeOfSymbol(prop);
      // An optional member reads `x?: T` as declared; `| undefined` stays where the declaration wrote it
      // (and where there is no declaration to read: zod's inferred types write it).
      const decl = prop.valueDeclaration ?? prop.declarations?.[0];
      const declaredType = decl && (ts.isPropertySignature(decl) || ts.isPropertyDeclaration(decl)) ? decl.type : undefined;
      const writesUndefined = declaredType === undefined || (ts.isUnionTypeNode(declaredType) && declaredType.types.some((n) => n.kind === ts.SyntaxKind.UndefinedKeyword));
      const dropUndefined = optional && !writesUndefined;
      const text = type.flags & TypeFlags.Union && !named.has(type) ? printUnion(type.types, next, stack, { order: writtenOrder(declaredType), dropUndefined }) : print(type, next, stack);
      const readonly = decl && ts.getCombinedModifierFlags(decl) & ts.ModifierFlags.Readonly ? "readonly " : "";
      const name = IDENTIFIER.test(prop.name) ? prop.name : JSON.stringify(prop.name);
      lines.push(`${docBlock(docOf(prop, checker), next)}${next}${readonly}${name}${optional ? "?" : ""}: ${text};`);
    }
    return lines.length === 0 ? "{}" : `{\n${lines.join("\n")}\n${indent}}`;
  }

  /**
   * The types a union's declaration lists, in the order written: `A | B`, `keyof typeof X`'s keys,
   * followed through aliases and `T["key"]` to the declaration that wrote them; [] when none did.
   */
  function writtenOrder(node, depth = 0) {
    if (!node || depth > 8) return [];
    if (ts.isParenthesizedTypeNode(node)) return writtenOrder(node.type, depth + 1);
    if (ts.isUnionTypeNode(node)) return node.types.map((n) => checker.getTypeFromTypeNode(n));
    if (ts.isTypeOperatorNode(node) && node.operator === ts.SyntaxKind.KeyOfKeyword) {
      return checker.getPropertiesOfType(checker.getTypeFromTypeNode(node.type)).map((p) => checker.getStringLiteralType(p.name));
    }
    if (ts.isTypeReferenceNode(node)) {
      let symbol = checker.getSymbolAtLocation(node.typeName);
      if (symbol && symbol.flags & SymbolFlags.Alias) symbol = checker.getAliasedSymbol(symbol);
      const decl = symbol?.declarations?.find(ts.isTypeAliasDeclaration);
      return decl ? writtenOrder(decl.type, depth + 1) : [];
    }
    if (ts.isIndexedAccessTypeNode(node) && ts.isLiteralTypeNode(node.indexType) && ts.isStringLiteral(node.indexType.literal)) {
      const prop = checker.getPropertyOfType(checker.getTypeFromTypeNode(node.objectType), node.indexType.literal.text);
      const decl = prop?.valueDeclaration ?? prop?.declarations?.[0];
      return decl && ts.isPropertySignature(decl) ? writtenOrder(decl.type, depth + 1) : [];
    }
    return [];
  }

  // Object types with a public name, for object types that equal one without being it (JobRecord's
  // config is the server's parsed JobConfig, the public JobConfig the trigger input: the same members).
  const namedObjects = entries.filter((e) => e.type.flags & TypeFlags.Object && !checker.isArrayType(e.type) && e.type.aliasSymbol?.name !== "Record");
  const keysOf = (t) =>
    checker
      .getPropertiesOfType(t)
      .map((p) => p.name)
      .sort()
      .join(",");
  /** The public name of an object type structurally identical to `t`, if any. */
  function sameObject(t) {
    const keys = keysOf(t);
    return namedObjects.find((e) => keysOf(e.type) === keys && checker.isTypeAssignableTo(t, e.type) && checker.isTypeAssignableTo(e.type, t))?.name;
  }

  // Named unions that may stand for part of another union (`JobState | undefined`): those with a
  // literal or object member. A union of bare primitives (FilterValue: string | number) is named only
  // where the declaration used it, or every `string | number` would read FilterValue.
  const namedUnions = entries
    .filter((e) => e.type.flags & TypeFlags.Union && e.type.types.some((m) => m.flags & (TypeFlags.Literal | TypeFlags.TemplateLiteral | TypeFlags.Object)))
    .map((e) => ({ name: e.name, type: e.type, members: new Set(e.type.types), hasObject: e.type.types.some((m) => m.flags & TypeFlags.Object) }))
    .sort((a, b) => b.members.size - a.members.size);

  /**
   * A union's members as `A | B | null`: the members of a named union print as its name (largest
   * first; `root`, the union being declared, is not named after itself), the rest one by one, in
   * the order the declaration wrote them, null and undefined last.
   */
  function printUnion(members, indent, stack, { order = [], dropUndefined = false, root = null } = {}) {
    const nullish = members.filter((m) => m.flags & (TypeFlags.Null | TypeFlags.Undefined) && !(dropUndefined && m.flags & TypeFlags.Undefined));
    let rest = members.filter((m) => !(m.flags & (TypeFlags.Null | TypeFlags.Undefined)));
    const parts = [];
    const rank = (t) => {
      const i = order.indexOf(t);
      return i < 0 ? order.length : i;
    };
    for (const u of namedUnions) {
      // A union of literals names only the whole (StageName | "retrain" reads better written out).
      const fits = u.hasObject ? u.members.size <= rest.length : u.members.size === rest.length;
      if (u.type === root || !fits || ![...u.members].every((m) => rest.includes(m))) continue;
      parts.push({ text: u.name, rank: Math.min(rank(u.type), ...[...u.members].map(rank)) });
      rest = rest.filter((m) => !u.members.has(m));
    }
    if (rest.filter(isBooleanLiteral).length === 2) {
      parts.push({ text: "boolean", rank: Math.min(...rest.filter(isBooleanLiteral).map(rank)) });
      rest = rest.filter((m) => !isBooleanLiteral(m));
    }
    for (const m of rest) parts.push({ text: print(m, indent, stack), rank: rank(m) });
    parts.sort((a, b) => a.rank - b.rank);
    return [...parts.map((p) => p.text), ...nullish.map((m) => checker.typeToString(m))].join(" | ");
  }

  const declarations = entries.map((e) => {
    const isObject =
      (e.type.flags & TypeFlags.Object && !checker.isArrayType(e.type) && !checker.isTupleType(e.type) && !(e.type.aliasSymbol?.name === "Record")) || e.type.flags & TypeFlags.Intersection;
    const body = print(e.type, "", [], true, e.node);
    const text = isObject && body.startsWith("{") ? `interface ${e.name} ${body}` : `type ${e.name} = ${body};`;
    return { name: e.name, file: e.file, isObject: Boolean(isObject), text: docBlock(e.doc, "") + text };
  });

  /** The public name of a type (one of the written-out types, or identical to one), if it has one. */
  function nameOf(t) {
    if (named.has(t)) return named.get(t);
    if (t.flags & TypeFlags.Object) return sameObject(t);
    if (t.flags & TypeFlags.Union) return namedUnions.find((u) => u.members.size === t.types.length && t.types.every((m) => u.members.has(m)))?.name;
    return undefined;
  }

  return { declarations, nameOf };
}
