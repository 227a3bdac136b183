//! Short names for what the widget's wasm imports from its glue (`kassa.js`).
//!
//! wasm-bindgen names each import `__wbg_<method>_<16 hex digits>` in the module
//! `./kassa_bg.js`, and writes every name twice: in the wasm's import section and as a
//! key of the glue's import object. Two hundred such names are ~10 KB of the wasm and as
//! much of the glue, and their hashes do not compress. Here the module becomes `a` and
//! each of its imports a one- or two-letter name, in both files alike (the wasm's import
//! section is rewritten; the glue's keys are replaced where they stand). The snippets'
//! modules (`./snippets/…`) keep their names: their imports are the snippet's exports.
//! Measured on the bundle (2026-12-06): −5.7 KB gzip with the two custom sections
//! wasm-opt strips in the same build.

use std::collections::HashMap;
use std::path::Path;

use crate::cmd::Result;

/// The glue module wasm-bindgen names after `--out-name kassa`.
const GLUE: &str = "./kassa_bg.js";

/// What the glue module is called after [`shorten`].
const SHORT_GLUE: &str = "a";

/// Renames the glue's imports in `wasm` and in the (minified) `js` that provides them.
///
/// # Errors
/// When a file cannot be read or written, the wasm does not parse, or a name is not
/// found in the glue exactly once as an object key.
pub fn shorten(wasm: &Path, js: &Path) -> Result {
    let bytes = std::fs::read(wasm).map_err(|e| format!("{}: {e}", wasm.display()))?;
    let text = std::fs::read_to_string(js).map_err(|e| format!("{}: {e}", js.display()))?;
    let (bytes, renames) = rename_imports(&bytes)?;
    let text = rename_keys(&text, &renames)?;
    std::fs::write(wasm, bytes).map_err(|e| format!("{}: {e}", wasm.display()))?;
    std::fs::write(js, text).map_err(|e| format!("{}: {e}", js.display()))
}

/// The `n`th short name: `a`…`z`, `A`…`Z`, then `aa`, `ab`, … (JS identifiers).
fn short_name(mut n: usize) -> String {
    const FIRST: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mut name = vec![FIRST[n % FIRST.len()]];
    n /= FIRST.len();
    while n > 0 {
        n -= 1;
        name.push(FIRST[n % FIRST.len()]);
        n /= FIRST.len();
    }
    name.reverse();
    String::from_utf8_lossy(&name).into_owned()
}

/// A cursor over the wasm's bytes.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8> {
        let b = *self
            .bytes
            .get(self.at)
            .ok_or("wasm: ends inside a section")?;
        self.at += 1;
        Ok(b)
    }

    /// An unsigned LEB128 (every length and index here fits in 32 bits).
    fn leb(&mut self) -> Result<u32> {
        let mut value = 0u32;
        for shift in (0..35).step_by(7) {
            let b = self.byte()?;
            value |= u32::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("wasm: LEB128 longer than 5 bytes".to_owned())
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or("wasm: ends inside a section")?;
        let s = &self.bytes[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn name(&mut self) -> Result<&'a str> {
        let len = self.leb()? as usize;
        std::str::from_utf8(self.take(len)?).map_err(|_| "wasm: a name is not UTF-8".to_owned())
    }

    /// Limits of a table or memory: flags, minimum, maximum if flagged.
    fn limits(&mut self) -> Result {
        let flags = self.byte()?;
        self.leb()?;
        if flags & 1 != 0 {
            self.leb()?;
        }
        Ok(())
    }

    /// An import's descriptor (function, table, memory, global or tag), skipped.
    fn descriptor(&mut self) -> Result {
        match self.byte()? {
            0 => self.leb().map(drop),
            1 => {
                self.byte()?;
                self.limits()
            }
            2 => self.limits(),
            3 => self.take(2).map(drop),
            4 => {
                self.byte()?;
                self.leb().map(drop)
            }
            kind => Err(format!("wasm: unknown import kind {kind}")),
        }
    }
}

fn push_leb(out: &mut Vec<u8>, mut n: usize) {
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn push_name(out: &mut Vec<u8>, name: &str) {
    push_leb(out, name.len());
    out.extend_from_slice(name.as_bytes());
}

/// The module with its import section rewritten, and the renames (old → new) of the
/// glue module's imports.
fn rename_imports(bytes: &[u8]) -> Result<(Vec<u8>, HashMap<String, String>)> {
    if bytes.get(..4) != Some(b"\0asm") {
        return Err("wasm: no magic number".to_owned());
    }
    let mut r = Reader { bytes, at: 8 };
    let mut out = bytes[..8].to_vec();
    let mut renames = HashMap::new();
    while r.at < bytes.len() {
        let id = r.byte()?;
        let size = r.leb()? as usize;
        let body = r.take(size)?;
        if id != 2 {
            out.push(id);
            push_leb(&mut out, size);
            out.extend_from_slice(body);
            continue;
        }
        let mut s = Reader { bytes: body, at: 0 };
        let mut section = Vec::new();
        let count = s.leb()?;
        push_leb(&mut section, count as usize);
        for _ in 0..count {
            let module = s.name()?;
            let field = s.name()?;
            let start = s.at;
            s.descriptor()?;
            if module == GLUE {
                let short = short_name(renames.len());
                push_name(&mut section, SHORT_GLUE);
                push_name(&mut section, &short);
                if renames.insert(field.to_owned(), short).is_some() {
                    return Err(format!("wasm: {field} imported twice"));
                }
            } else {
                push_name(&mut section, module);
                push_name(&mut section, field);
            }
            section.extend_from_slice(&body[start..s.at]);
        }
        out.push(id);
        push_leb(&mut out, section.len());
        out.extend_from_slice(&section);
    }
    Ok((out, renames))
}

/// `js` with the import object's keys renamed: `"./kassa_bg.js":` and each old import
/// name used as a key (`name:`). Every name must be there exactly once, as a key.
fn rename_keys(js: &str, renames: &HashMap<String, String>) -> Result<String> {
    let glue_key = format!("\"{GLUE}\":");
    if js.matches(&glue_key).count() != 1 {
        return Err(format!("kassa.js: not one {glue_key} key"));
    }
    let js = js.replacen(&glue_key, &format!("{SHORT_GLUE}:"), 1);
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    let mut out = String::with_capacity(js.len());
    let mut seen: HashMap<&str, usize> = HashMap::new();
    let mut rest = js.as_str();
    while let Some(start) = rest.find(ident) {
        out.push_str(&rest[..start]);
        let word_len = rest[start..]
            .find(|c: char| !ident(c))
            .unwrap_or(rest.len() - start);
        let word = &rest[start..start + word_len];
        rest = &rest[start + word_len..];
        match renames.get_key_value(word) {
            Some((old, new)) => {
                if !rest.starts_with(':') {
                    return Err(format!("kassa.js: {old} is used other than as a key"));
                }
                *seen.entry(old.as_str()).or_default() += 1;
                out.push_str(new);
            }
            None => out.push_str(word),
        }
    }
    out.push_str(rest);
    for old in renames.keys() {
        match seen.get(old.as_str()) {
            Some(1) => {}
            Some(n) => return Err(format!("kassa.js: {old} is a key {n} times")),
            None => return Err(format!("kassa.js: no key {old} for the wasm's import")),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_distinct_identifiers() {
        let names: Vec<String> = (0..3000).map(short_name).collect();
        assert_eq!(names[0], "a");
        assert_eq!(names[51], "Z");
        assert_eq!(names[52], "aa");
        let unique: std::collections::HashSet<&String> = names.iter().collect();
        assert_eq!(unique.len(), names.len());
        assert!(names
            .iter()
            .all(|n| n.chars().all(|c| c.is_ascii_alphabetic())));
    }

    /// A module importing `f` from the glue and `g` from a snippet, one function type.
    fn module() -> Vec<u8> {
        let mut imports = Vec::new();
        push_leb(&mut imports, 2);
        for (m, f) in [(GLUE, "__wbg_f_0123456789abcdef"), ("./snippets/x.js", "g")] {
            push_name(&mut imports, m);
            push_name(&mut imports, f);
            imports.extend_from_slice(&[0, 0]);
        }
        let mut wasm = b"\0asm\x01\0\0\0".to_vec();
        wasm.extend_from_slice(&[1, 4, 1, 0x60, 0, 0]);
        wasm.push(2);
        push_leb(&mut wasm, imports.len());
        wasm.extend_from_slice(&imports);
        wasm
    }

    #[test]
    fn glue_imports_are_renamed_in_both_files() {
        let (wasm, renames) = rename_imports(&module()).expect("parses");
        assert_eq!(renames["__wbg_f_0123456789abcdef"], "a");
        let mut r = Reader {
            bytes: &wasm,
            at: 8 + 6,
        };
        assert_eq!(r.byte().expect("id"), 2);
        r.leb().expect("size");
        assert_eq!(r.leb().expect("count"), 2);
        assert_eq!((r.name().expect("m"), r.name().expect("f")), ("a", "a"));
        r.take(2).expect("descriptor");
        let snippet = (r.name().expect("m"), r.name().expect("f"));
        assert_eq!(snippet, ("./snippets/x.js", "g"));
        let js = "x={\"./kassa_bg.js\":{__wbg_f_0123456789abcdef:function(e){return e}},\
                  \"./snippets/x.js\":L}";
        let js = rename_keys(js, &renames).expect("renames");
        assert_eq!(js, "x={a:{a:function(e){return e}},\"./snippets/x.js\":L}");
    }

    #[test]
    fn a_name_used_elsewhere_or_missing_is_refused() {
        let renames = HashMap::from([("__wbg_f_1".to_owned(), "a".to_owned())]);
        let used = "{\"./kassa_bg.js\":{__wbg_f_1:1}};__wbg_f_1()";
        assert!(rename_keys(used, &renames).is_err());
        let missing = "{\"./kassa_bg.js\":{}}";
        assert!(rename_keys(missing, &renames).is_err());
    }
}
