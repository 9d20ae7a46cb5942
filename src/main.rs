use prodsim::config::*;
fn main() {
    let mut spec = prodsim::RunSpec::default();
    let args: Vec<String> = std::env::args().collect();
    spec.workload.rate = args[1].parse().unwrap();
    spec.producer.acks = Acks::parse(&args[2]).unwrap();
    spec.duration_ms = args[3].parse().unwrap();
    spec.cluster.min_insync_replicas = args[4].parse().unwrap();
    let kind = args[5].as_str();
    spec.seed = args.get(6).map(|s| s.parse().unwrap()).unwrap_or(1);
    let k = match kind {
        "crash-leader" => Some(FaultKind::CrashLeader { partition: 0 }),
        "isolate-leader" => Some(FaultKind::IsolateLeader { partition: 0 }),
        "power" => Some(FaultKind::PowerLoss {
            brokers: vec![0, 1, 2],
        }),
        "lose" => Some(FaultKind::LoseResponses { probability: 0.3 }),
        _ => None,
    };
    if let Some(k) = k {
        spec.faults.push(Fault {
            at_ms: 3000,
            duration_ms: Some(15000),
            kind: k,
        });
    }
    let t = std::time::Instant::now();
    let r = prodsim::run(&spec);
    let el = t.elapsed().as_secs_f64();
    let mut r2 = r.clone();
    r2.timeline.clear();
    println!("{:?}", r2);
    eprintln!(
        "wall {el:.3}s  {:.1} M rec/s",
        r.records_sent as f64 / el / 1e6
    );
}
