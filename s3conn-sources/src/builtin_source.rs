//! The plumbing every built-in source shares: its struct holding the `SourceInfo` envelope and the
//! list fields it expands, `new` and `Default`, and the `LogSource` accessors for both.

/// Declares a built-in source's struct, `new()` (with its standard envelope) and `Default`.
///
/// `builtin_source!(Name, [id, display_name, index, msg_class, vendor], expand)`, `expand` being
/// the `Vec<String>` of list fields whose elements are events (empty when left out).
macro_rules! builtin_source {
    (
        $(#[$meta:meta])*
        $name:ident,
        [$id:expr, $display_name:expr, $index:expr, $msg_class:expr, $vendor:expr]
        $(, $expand:expr)? $(,)?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        pub struct $name {
            info: std::sync::Arc<s3conn_core::SourceInfo>,
            expand: Vec<String>,
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl $name {
            /// The source with its standard envelope.
            pub fn new() -> Self {
                $name {
                    info: std::sync::Arc::new(s3conn_core::SourceInfo::new(
                        $id,
                        $display_name,
                        $index,
                        $msg_class,
                        $vendor,
                    )),
                    expand: $crate::builtin_source::expand_or_none!($($expand)?),
                }
            }
        }
    };
}

/// The list fields given to [`builtin_source!`], or none.
macro_rules! expand_or_none {
    () => {
        Vec::new()
    };
    ($expand:expr) => {
        $expand
    };
}

/// The `LogSource` accessors of a struct declared by [`builtin_source!`]: `info` and
/// `expand_fields`. Used inside the `impl LogSource` block.
macro_rules! builtin_source_accessors {
    () => {
        fn info(&self) -> &std::sync::Arc<s3conn_core::SourceInfo> {
            &self.info
        }

        fn expand_fields(&self) -> &[String] {
            &self.expand
        }
    };
}

pub(crate) use {builtin_source, builtin_source_accessors, expand_or_none};
