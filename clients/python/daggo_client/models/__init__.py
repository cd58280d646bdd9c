"""Contains all the data models used in inputs/outputs"""

from .asset_check_info import AssetCheckInfo
from .asset_detail import AssetDetail
from .asset_detail_tags import AssetDetailTags
from .asset_edge import AssetEdge
from .asset_event_info import AssetEventInfo
from .asset_event_info_metadata import AssetEventInfoMetadata
from .asset_event_kind import AssetEventKind
from .asset_kind import AssetKind
from .asset_summary import AssetSummary
from .asset_summary_check_counts import AssetSummaryCheckCounts
from .asset_summary_partition_counts import AssetSummaryPartitionCounts
from .assets_get_events_request import AssetsGetEventsRequest
from .assets_get_events_response import AssetsGetEventsResponse
from .assets_get_graph_request import AssetsGetGraphRequest
from .assets_get_graph_response import AssetsGetGraphResponse
from .assets_get_many_request import AssetsGetManyRequest
from .assets_get_many_response import AssetsGetManyResponse
from .assets_get_partitions_request import AssetsGetPartitionsRequest
from .assets_get_partitions_response import AssetsGetPartitionsResponse
from .assets_get_partitions_response_counts import AssetsGetPartitionsResponseCounts
from .assets_get_request import AssetsGetRequest
from .assets_report_event_request import AssetsReportEventRequest
from .assets_report_event_request_metadata import AssetsReportEventRequestMetadata
from .backfill_detail import BackfillDetail
from .backfill_info import BackfillInfo
from .backfill_info_run_counts import BackfillInfoRunCounts
from .backfill_preview import BackfillPreview
from .backfill_run_info import BackfillRunInfo
from .backfill_status import BackfillStatus
from .backfills_cancel_request import BackfillsCancelRequest
from .backfills_get_many_request import BackfillsGetManyRequest
from .backfills_get_many_response import BackfillsGetManyResponse
from .backfills_get_partitions_request import BackfillsGetPartitionsRequest
from .backfills_get_partitions_response import BackfillsGetPartitionsResponse
from .backfills_get_request import BackfillsGetRequest
from .backfills_launch_request import BackfillsLaunchRequest
from .backfills_launch_request_params import BackfillsLaunchRequestParams
from .backfills_launch_request_tags import BackfillsLaunchRequestTags
from .cancel_outcome import CancelOutcome
from .catch_up import CatchUp
from .check_outcome import CheckOutcome
from .check_result_info import CheckResultInfo
from .check_result_info_metadata import CheckResultInfoMetadata
from .class_schema import ClassSchema
from .deploy_state import DeployState
from .deploy_status import DeployStatus
from .deploy_status_runs_left import DeployStatusRunsLeft
from .dynamic_partitions_add_request import DynamicPartitionsAddRequest
from .dynamic_partitions_add_response import DynamicPartitionsAddResponse
from .dynamic_partitions_delete_request import DynamicPartitionsDeleteRequest
from .dynamic_partitions_delete_response import DynamicPartitionsDeleteResponse
from .dynamic_partitions_get_many_request import DynamicPartitionsGetManyRequest
from .dynamic_partitions_get_many_response import DynamicPartitionsGetManyResponse
from .error import Error
from .error_error import ErrorError
from .error_error_code import ErrorErrorCode
from .error_info import ErrorInfo
from .error_source import ErrorSource
from .event_info import EventInfo
from .event_info_data import EventInfoData
from .event_kind import EventKind
from .grid_cell import GridCell
from .grid_cell_counts import GridCellCounts
from .group_summary import GroupSummary
from .input_snapshot import InputSnapshot
from .item_source import ItemSource
from .item_summary import ItemSummary
from .job_detail import JobDetail
from .job_snapshot import JobSnapshot
from .job_snapshot_partitions_type_0 import JobSnapshotPartitionsType0
from .job_snapshot_sourced import JobSnapshotSourced
from .job_snapshot_tags import JobSnapshotTags
from .job_status_count import JobStatusCount
from .job_summary import JobSummary
from .jobs_get_many_request import JobsGetManyRequest
from .jobs_get_many_response import JobsGetManyResponse
from .jobs_get_request import JobsGetRequest
from .jobs_launch_request import JobsLaunchRequest
from .jobs_launch_request_params import JobsLaunchRequestParams
from .jobs_launch_request_tags import JobsLaunchRequestTags
from .jobs_launch_response import JobsLaunchResponse
from .loader_health import LoaderHealth
from .op_snapshot import OpSnapshot
from .overlap import Overlap
from .param_snapshot import ParamSnapshot
from .partition_info import PartitionInfo
from .partition_info_counts import PartitionInfoCounts
from .partition_status import PartitionStatus
from .partitions_get_many_request import PartitionsGetManyRequest
from .partitions_get_many_response import PartitionsGetManyResponse
from .plugin_failure_info import PluginFailureInfo
from .plugin_info import PluginInfo
from .plugins_get_many_response import PluginsGetManyResponse
from .pool_status import PoolStatus
from .pool_summary import PoolSummary
from .queue_detail import QueueDetail
from .queue_error_info import QueueErrorInfo
from .queue_item_status import QueueItemStatus
from .queue_items_get_many_request import QueueItemsGetManyRequest
from .queue_items_get_many_response import QueueItemsGetManyResponse
from .queue_items_get_request import QueueItemsGetRequest
from .queue_items_get_response import QueueItemsGetResponse
from .queue_items_get_response_metadata import QueueItemsGetResponseMetadata
from .queue_items_get_response_payload import QueueItemsGetResponsePayload
from .queue_items_replay_request import QueueItemsReplayRequest
from .queue_items_replay_response import QueueItemsReplayResponse
from .queue_items_retry_request import QueueItemsRetryRequest
from .queue_items_retry_response import QueueItemsRetryResponse
from .queue_summary import QueueSummary
from .queue_summary_counts import QueueSummaryCounts
from .queues_get_many_response import QueuesGetManyResponse
from .queues_get_request import QueuesGetRequest
from .queues_get_response import QueuesGetResponse
from .queues_push_request import QueuesPushRequest
from .queues_push_request_items_item import QueuesPushRequestItemsItem
from .queues_push_response import QueuesPushResponse
from .run_detail import RunDetail
from .run_detail_params import RunDetailParams
from .run_status import RunStatus
from .run_summary import RunSummary
from .run_summary_tags import RunSummaryTags
from .run_trigger import RunTrigger
from .runs_cancel_request import RunsCancelRequest
from .runs_cancel_response import RunsCancelResponse
from .runs_count_by_status_request import RunsCountByStatusRequest
from .runs_count_by_status_request_tags import RunsCountByStatusRequestTags
from .runs_count_by_status_response import RunsCountByStatusResponse
from .runs_count_request import RunsCountRequest
from .runs_count_request_tags import RunsCountRequestTags
from .runs_count_response import RunsCountResponse
from .runs_events_request import RunsEventsRequest
from .runs_events_response import RunsEventsResponse
from .runs_get_many_request import RunsGetManyRequest
from .runs_get_many_request_tags import RunsGetManyRequestTags
from .runs_get_many_response import RunsGetManyResponse
from .runs_get_request import RunsGetRequest
from .runs_reexecute_request import RunsReexecuteRequest
from .runs_reexecute_response import RunsReexecuteResponse
from .runs_timeline_request import RunsTimelineRequest
from .runs_timeline_response import RunsTimelineResponse
from .schedule_snapshot import ScheduleSnapshot
from .schedule_snapshot_tags import ScheduleSnapshotTags
from .schedule_summary import ScheduleSummary
from .schedules_get_many_request import SchedulesGetManyRequest
from .schedules_get_many_response import SchedulesGetManyResponse
from .schedules_set_enabled_request import SchedulesSetEnabledRequest
from .schedules_set_enabled_response import SchedulesSetEnabledResponse
from .schedules_ticks_request import SchedulesTicksRequest
from .schedules_ticks_response import SchedulesTicksResponse
from .serving_process import ServingProcess
from .status_count import StatusCount
from .step_attempt import StepAttempt
from .step_info import StepInfo
from .step_info_metadata import StepInfoMetadata
from .step_status import StepStatus
from .system_config_response import SystemConfigResponse
from .system_config_response_config import SystemConfigResponseConfig
from .system_health_response import SystemHealthResponse
from .system_health_response_components import SystemHealthResponseComponents
from .system_health_response_problems import SystemHealthResponseProblems
from .system_version_response import SystemVersionResponse
from .tick_info import TickInfo
from .tick_status import TickStatus
from .timeline_bar import TimelineBar
from .timeline_lane import TimelineLane
from .type_kind import TypeKind
from .type_schema import TypeSchema
from .wiring import Wiring
from .worker_status import WorkerStatus
from .worker_summary import WorkerSummary
from .workers_drain_request import WorkersDrainRequest
from .workers_drain_response import WorkersDrainResponse
from .workers_get_deploy_request import WorkersGetDeployRequest
from .workers_get_deploy_response import WorkersGetDeployResponse
from .workers_get_many_request import WorkersGetManyRequest
from .workers_get_many_response import WorkersGetManyResponse
from .workers_get_pools_response import WorkersGetPoolsResponse
from .workers_resume_request import WorkersResumeRequest
from .workers_resume_response import WorkersResumeResponse

__all__ = (
    "AssetCheckInfo",
    "AssetDetail",
    "AssetDetailTags",
    "AssetEdge",
    "AssetEventInfo",
    "AssetEventInfoMetadata",
    "AssetEventKind",
    "AssetKind",
    "AssetsGetEventsRequest",
    "AssetsGetEventsResponse",
    "AssetsGetGraphRequest",
    "AssetsGetGraphResponse",
    "AssetsGetManyRequest",
    "AssetsGetManyResponse",
    "AssetsGetPartitionsRequest",
    "AssetsGetPartitionsResponse",
    "AssetsGetPartitionsResponseCounts",
    "AssetsGetRequest",
    "AssetsReportEventRequest",
    "AssetsReportEventRequestMetadata",
    "AssetSummary",
    "AssetSummaryCheckCounts",
    "AssetSummaryPartitionCounts",
    "BackfillDetail",
    "BackfillInfo",
    "BackfillInfoRunCounts",
    "BackfillPreview",
    "BackfillRunInfo",
    "BackfillsCancelRequest",
    "BackfillsGetManyRequest",
    "BackfillsGetManyResponse",
    "BackfillsGetPartitionsRequest",
    "BackfillsGetPartitionsResponse",
    "BackfillsGetRequest",
    "BackfillsLaunchRequest",
    "BackfillsLaunchRequestParams",
    "BackfillsLaunchRequestTags",
    "BackfillStatus",
    "CancelOutcome",
    "CatchUp",
    "CheckOutcome",
    "CheckResultInfo",
    "CheckResultInfoMetadata",
    "ClassSchema",
    "DeployState",
    "DeployStatus",
    "DeployStatusRunsLeft",
    "DynamicPartitionsAddRequest",
    "DynamicPartitionsAddResponse",
    "DynamicPartitionsDeleteRequest",
    "DynamicPartitionsDeleteResponse",
    "DynamicPartitionsGetManyRequest",
    "DynamicPartitionsGetManyResponse",
    "Error",
    "ErrorError",
    "ErrorErrorCode",
    "ErrorInfo",
    "ErrorSource",
    "EventInfo",
    "EventInfoData",
    "EventKind",
    "GridCell",
    "GridCellCounts",
    "GroupSummary",
    "InputSnapshot",
    "ItemSource",
    "ItemSummary",
    "JobDetail",
    "JobsGetManyRequest",
    "JobsGetManyResponse",
    "JobsGetRequest",
    "JobsLaunchRequest",
    "JobsLaunchRequestParams",
    "JobsLaunchRequestTags",
    "JobsLaunchResponse",
    "JobSnapshot",
    "JobSnapshotPartitionsType0",
    "JobSnapshotSourced",
    "JobSnapshotTags",
    "JobStatusCount",
    "JobSummary",
    "LoaderHealth",
    "OpSnapshot",
    "Overlap",
    "ParamSnapshot",
    "PartitionInfo",
    "PartitionInfoCounts",
    "PartitionsGetManyRequest",
    "PartitionsGetManyResponse",
    "PartitionStatus",
    "PluginFailureInfo",
    "PluginInfo",
    "PluginsGetManyResponse",
    "PoolStatus",
    "PoolSummary",
    "QueueDetail",
    "QueueErrorInfo",
    "QueueItemsGetManyRequest",
    "QueueItemsGetManyResponse",
    "QueueItemsGetRequest",
    "QueueItemsGetResponse",
    "QueueItemsGetResponseMetadata",
    "QueueItemsGetResponsePayload",
    "QueueItemsReplayRequest",
    "QueueItemsReplayResponse",
    "QueueItemsRetryRequest",
    "QueueItemsRetryResponse",
    "QueueItemStatus",
    "QueuesGetManyResponse",
    "QueuesGetRequest",
    "QueuesGetResponse",
    "QueuesPushRequest",
    "QueuesPushRequestItemsItem",
    "QueuesPushResponse",
    "QueueSummary",
    "QueueSummaryCounts",
    "RunDetail",
    "RunDetailParams",
    "RunsCancelRequest",
    "RunsCancelResponse",
    "RunsCountByStatusRequest",
    "RunsCountByStatusRequestTags",
    "RunsCountByStatusResponse",
    "RunsCountRequest",
    "RunsCountRequestTags",
    "RunsCountResponse",
    "RunsEventsRequest",
    "RunsEventsResponse",
    "RunsGetManyRequest",
    "RunsGetManyRequestTags",
    "RunsGetManyResponse",
    "RunsGetRequest",
    "RunsReexecuteRequest",
    "RunsReexecuteResponse",
    "RunStatus",
    "RunsTimelineRequest",
    "RunsTimelineResponse",
    "RunSummary",
    "RunSummaryTags",
    "RunTrigger",
    "SchedulesGetManyRequest",
    "SchedulesGetManyResponse",
    "ScheduleSnapshot",
    "ScheduleSnapshotTags",
    "SchedulesSetEnabledRequest",
    "SchedulesSetEnabledResponse",
    "SchedulesTicksRequest",
    "SchedulesTicksResponse",
    "ScheduleSummary",
    "ServingProcess",
    "StatusCount",
    "StepAttempt",
    "StepInfo",
    "StepInfoMetadata",
    "StepStatus",
    "SystemConfigResponse",
    "SystemConfigResponseConfig",
    "SystemHealthResponse",
    "SystemHealthResponseComponents",
    "SystemHealthResponseProblems",
    "SystemVersionResponse",
    "TickInfo",
    "TickStatus",
    "TimelineBar",
    "TimelineLane",
    "TypeKind",
    "TypeSchema",
    "Wiring",
    "WorkersDrainRequest",
    "WorkersDrainResponse",
    "WorkersGetDeployRequest",
    "WorkersGetDeployResponse",
    "WorkersGetManyRequest",
    "WorkersGetManyResponse",
    "WorkersGetPoolsResponse",
    "WorkersResumeRequest",
    "WorkersResumeResponse",
    "WorkerStatus",
    "WorkerSummary",
)
