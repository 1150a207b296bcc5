"""A record's metrics grouped as the Benchmarks tab shows them."""

from studio.bench.grouping import family_markdown, family_of, group_metrics


def test_variants_line_up_in_columns_and_bars_come_first():
    metrics = {
        "knn5_emotion": 0.99,
        "ablation[full JEAN].knn5_emotion": 0.99,
        "ablation[no transformer].knn5_emotion": 0.61,
        "ablation[no transformer].silhouette_emotion": 0.12,
        "baseline_still.style_own_identity": 0.9,
        "probe[C=1].viseme_from_lip": 0.4,
        "tsne_5000_seconds": 12.5,
        "emotion_classifier/accuracy_all (bar >= 0.9)": 0.95,  # a dot that is no variant
        "details": {"32": {"x": 1}},
    }
    g = group_metrics(metrics, barred={"knn5_emotion"})
    assert g.barred == {"knn5_emotion": 0.99}
    assert [f.name for f in g.families] == ["ablation", "baseline", "probe"]
    assert set(g.plain) == {"tsne_5000_seconds", "emotion_classifier/accuracy_all (bar >= 0.9)"}
    table = family_markdown(g.families[0]).splitlines()
    assert table[0] == "| ablation | knn5_emotion | silhouette_emotion |"
    assert table[2] == "| full JEAN | 0.99 |  |"
    assert table[3] == "| no transformer | 0.61 | 0.12 |"


def test_family_names():
    assert family_of("ablation[full JEAN]") == ("ablation", "full JEAN")
    assert family_of("ring.yaw+20_pitch+0") == ("ring", "yaw+20_pitch+0")
    assert family_of("baseline_replay_reference") == ("baseline", "replay_reference")
    assert family_of("shipped") == ("shipped", "shipped")


def test_a_suites_own_verdict_on_a_shown_bar_is_not_repeated_as_a_diagnostic():
    metrics = {"identity_embedder/eer": 0.004, "identity_embedder/eer (bar <= 0.05)": "pass"}
    g = group_metrics(metrics, barred={"identity_embedder/eer"})
    assert g.barred == {"identity_embedder/eer": 0.004} and g.plain == {}
