"""Contains all the data models used in inputs/outputs"""

from .cancel_outcome import CancelOutcome
from .catch_up import CatchUp
from .class_schema import ClassSchema
from .error import Error
from .error_error import ErrorError
from .error_error_code import ErrorErrorCode
from .error_info import ErrorInfo
from .error_source import ErrorSource
from .event_info import EventInfo
from .event_info_data import EventInfoData
from .event_kind import EventKind
from .input_snapshot import InputSnapshot
from .item_source import ItemSource
from .item_summary import ItemSummary
from .job_detail import JobDetail
from .job_snapshot import JobSnapshot
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
from .partitions_get_many_request import PartitionsGetManyRequest
from .partitions_get_many_response import PartitionsGetManyResponse
from .plugin_failure_info import PluginFailureInfo
from .plugin_info import PluginInfo
from .plugins_get_many_response import PluginsGetManyResponse
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
from .workers_get_many_request import WorkersGetManyRequest
from .workers_get_many_response import WorkersGetManyResponse

__all__ = (
    "CancelOutcome",
    "CatchUp",
    "ClassSchema",
    "Error",
    "ErrorError",
    "ErrorErrorCode",
    "ErrorInfo",
    "ErrorSource",
    "EventInfo",
    "EventInfoData",
    "EventKind",
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
    "PluginFailureInfo",
    "PluginInfo",
    "PluginsGetManyResponse",
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
    "WorkersGetManyRequest",
    "WorkersGetManyResponse",
    "WorkerStatus",
    "WorkerSummary",
)
