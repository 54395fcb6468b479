//! Fuzz target: `nn_fuzz::model_file` on every input (see its docs for what it checks).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    nn_fuzz::model_file(data);
});
