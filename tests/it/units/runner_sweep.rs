//! Tests of `src/runner/sweep.rs`.

use chokepoint::runner::journal::Shard;
use chokepoint::runner::sweep::*;

#[test]
fn missing_shards_print_in_array_syntax() {
    assert_eq!(array_syntax(&[1]), "1");
    assert_eq!(array_syntax(&[0, 1, 2, 5, 7, 8]), "0-2,5,7-8");
    assert_eq!(array_syntax(&[]), "");
}

#[test]
fn shard_index_comes_from_the_argument_or_the_scheduler() {
    let none = |_: &str| None;
    assert_eq!(parse_shard("2/5", none), Ok(Shard { index: 2, count: 5 }));
    assert!(
        parse_shard("5/5", none)
            .unwrap_err()
            .contains("below N = 5")
    );
    assert!(parse_shard("1/0", none).is_err());
    assert!(parse_shard("x", none).is_err());
    assert!(parse_shard("env/4", none).is_err());
    let slurm = |v: &str| (v == "SLURM_ARRAY_TASK_ID").then(|| "3".to_string());
    assert_eq!(
        parse_shard("env/4", slurm),
        Ok(Shard { index: 3, count: 4 })
    );
    let aws = |v: &str| (v == "AWS_BATCH_JOB_ARRAY_INDEX").then(|| "7".to_string());
    let err = parse_shard("env/4", aws).unwrap_err();
    assert!(
        err.contains("AWS_BATCH_JOB_ARRAY_INDEX") && err.contains("below N"),
        "{err}"
    );
}
